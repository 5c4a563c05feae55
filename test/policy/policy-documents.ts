import { yaml } from '../config/fixtures';

/** A valid TrafficPolicy document. Lines are numbered in the comments for the table tests. */
export const POLICY_LINES = [
  'apiVersion: meridian.io/v1alpha1', // 1
  'kind: TrafficPolicy', // 2
  'metadata:', // 3
  '  name: checkout', // 4
  'spec:', // 5
  '  service: checkout.shop', // 6
  '  hostnames: [checkout, checkout.shop.svc.cluster.local]', // 7
  '  localityLb:', // 8
  '    enabled: true', // 9
  '    failover:', // 10
  '      - from: eu-west', // 11
  '        to: [eu-central, us-east]', // 12
];

/** A ServiceEndpoints document named checkout.shop with endpoints in eu-west, eu-central and us-east. */
export const SERVICES_TEXT = yaml(
  'apiVersion: meridian.io/v1alpha1',
  'kind: ServiceEndpoints',
  'metadata:',
  '  name: checkout.shop',
  'spec:',
  '  port: 8080',
  '  endpoints:',
  '    - { address: 10.0.0.1, port: 80, cluster: c1, locality: { region: eu-west, zone: eu-west-1a } }',
  '    - { address: 10.0.0.2, port: 80, cluster: c1, locality: { region: eu-central } }',
  '    - { address: 10.0.0.3, port: 80, cluster: c2, locality: { region: us-east } }',
);

/** Returns the policy lines as a document followed by the services document. */
export function withServices(policyLines: readonly string[]): string {
  return `${yaml(...policyLines)}---\n${SERVICES_TEXT}`;
}
