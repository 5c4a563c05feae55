import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locality } from '../discovery';

/**
 * Endpoint ports at or above this value mark a change: the change with sequence number `seq` sets
 * one endpoint's port to `CHANGE_MARKER_BASE_PORT + seq`. A simulated proxy finds the latest
 * change it has received as the highest such port, without knowing any version string.
 */
export const CHANGE_MARKER_BASE_PORT = 10_000;

/** Port every generated endpoint listens on, unless it carries a change marker. */
const ENDPOINT_PORT = 8080;

/** Shape of a generated mesh. */
export interface FleetSpec {
  services: number;
  endpointsPerService: number;
  regions: number;
  zonesPerRegion: number;
}

/**
 * The state of the generated mesh that changes move forward: the marker sequence of each service
 * (0 when unmarked), the protocol of every service and the hostname generation of every policy.
 */
export interface FleetState {
  markers: number[];
  protocol: 'http' | 'grpc';
  hostnameGeneration: number;
}

export function initialFleetState(spec: FleetSpec): FleetState {
  return { markers: new Array<number>(spec.services).fill(0), protocol: 'http', hostnameGeneration: 0 };
}

/** Returns every locality of the mesh, in a fixed order: `r0/r0-z0`, `r0/r0-z1`, `r1/r1-z0`... */
export function localitiesOf(spec: FleetSpec): Locality[] {
  const localities: Locality[] = [];
  for (let region = 0; region < spec.regions; region++) {
    for (let zone = 0; zone < spec.zonesPerRegion; zone++) {
      localities.push({ region: `r${region}`, zone: `r${region}-z${zone}`, subZone: '' });
    }
  }
  return localities;
}

export function serviceNameOf(index: number): string {
  return `svc-${String(index).padStart(4, '0')}.bench`;
}

/** Returns a hostname that carries the policy generation, so a simulated proxy can read it from routes. */
export function generationHostnameOf(index: number, generation: number): string {
  return `g${generation}.svc-${String(index).padStart(4, '0')}`;
}

/** Returns the endpoints of one service as the registry stores them after `state`. */
export function endpointsOf(spec: FleetSpec, state: FleetState, index: number) {
  const localities = localitiesOf(spec);
  const endpoints = [];
  for (let j = 0; j < spec.endpointsPerService; j++) {
    const locality = localities[(index + j) % localities.length]!;
    const marker = j === 0 ? state.markers[index]! : 0;
    endpoints.push({
      address: `10.${(index >> 8) & 255}.${index & 255}.${j + 1}`,
      port: marker > 0 ? CHANGE_MARKER_BASE_PORT + marker : ENDPOINT_PORT,
      locality,
      cluster: `k8s-${locality.region}`,
      network: '',
      weight: 1,
      labels: {},
    });
  }
  return endpoints;
}

function servicesYaml(spec: FleetSpec, state: FleetState): string {
  const documents: string[] = [];
  for (let i = 0; i < spec.services; i++) {
    const lines = [
      'apiVersion: meridian.io/v1alpha1',
      'kind: ServiceEndpoints',
      `metadata: { name: ${serviceNameOf(i)} }`,
      'spec:',
      '  port: 8080',
      `  protocol: ${state.protocol}`,
      '  endpoints:',
    ];
    for (const endpoint of endpointsOf(spec, state, i)) {
      const { region, zone } = endpoint.locality;
      lines.push(
        `    - { address: ${endpoint.address}, port: ${endpoint.port}, cluster: ${endpoint.cluster}, locality: { region: ${region}, zone: ${zone} } }`,
      );
    }
    documents.push(lines.join('\n'));
  }
  return `${documents.join('\n---\n')}\n`;
}

function policiesYaml(spec: FleetSpec, state: FleetState): string {
  const regions = Array.from({ length: spec.regions }, (_, region) => `r${region}`);
  const documents: string[] = [];
  for (let i = 0; i < spec.services; i++) {
    const hostnames = [`svc-${String(i).padStart(4, '0')}`];
    if (state.hostnameGeneration > 0) hostnames.push(generationHostnameOf(i, state.hostnameGeneration));
    const lines = [
      'apiVersion: meridian.io/v1alpha1',
      'kind: TrafficPolicy',
      `metadata: { name: svc-${String(i).padStart(4, '0')} }`,
      'spec:',
      `  service: ${serviceNameOf(i)}`,
      `  hostnames: [${hostnames.join(', ')}]`,
      '  localityLb:',
      '    enabled: true',
    ];
    if (regions.length > 1) {
      lines.push('    failover:');
      for (const from of regions) {
        lines.push(`      - { from: ${from}, to: [${regions.filter((region) => region !== from).join(', ')}] }`);
      }
    }
    documents.push(lines.join('\n'));
  }
  return `${documents.join('\n---\n')}\n`;
}

/**
 * Writes the mesh as `services.yaml` and `policies.yaml` in `folder`. Each file is written under
 * a temporary name and renamed into place, as editors and config management tools do, so the
 * server never reads a half-written file.
 */
export async function writeFleetConfig(
  folder: string,
  spec: FleetSpec,
  state: FleetState,
  files: readonly ('services' | 'policies')[] = ['services', 'policies'],
): Promise<void> {
  for (const file of files) {
    const text = file === 'services' ? servicesYaml(spec, state) : policiesYaml(spec, state);
    const temporary = join(folder, `.${file}.yaml.tmp`);
    await writeFile(temporary, text);
    await rename(temporary, join(folder, `${file}.yaml`));
  }
}
