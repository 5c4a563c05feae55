import { isIP } from 'node:net';
import {
  checkDnsName,
  enumValue,
  fieldCursor,
  itemCursor,
  integerValue,
  listOf,
  objectOf,
  refine,
  optional,
  required,
  schemaOf,
  stringMap,
  stringValue,
  withDefault,
  withDescription,
  type Cursor,
  type DocumentHeader,
  type KindDefinition,
} from '../config';
import type { Endpoint, Locality, Service } from './types';

/** The `kind` of documents that list a service's endpoints, read by `StaticSource`. */
export const SERVICE_ENDPOINTS_KIND = 'ServiceEndpoints';

/** Application protocols a service port may have. */
export const SERVICE_PROTOCOLS = ['http', 'grpc', 'tcp'] as const;

/**
 * Maximum sum of the endpoint weights of one service. Envoy rejects a locality whose endpoint
 * weights add up to more than the uint32 maximum (envoy/config/endpoint/v3/endpoint_components.proto,
 * `load_balancing_weight`), and bounding the whole service bounds every locality in it.
 */
export const MAX_SERVICE_WEIGHT_SUM = 4_294_967_295;

interface LocalitySpec {
  region: string;
  zone: string | undefined;
  subZone: string | undefined;
}

interface EndpointSpec {
  address: string;
  port: number;
  locality: LocalitySpec | undefined;
  cluster: string;
  network: string | undefined;
  weight: number;
  labels: Record<string, string> | undefined;
}

interface ServiceSpec {
  port: number;
  protocol: Service['protocol'];
  endpoints: EndpointSpec[];
}

function checkAddress(address: string): string | undefined {
  if (isIP(address) !== 0) return undefined;
  if (checkDnsName(address.toLowerCase()) === undefined) return undefined;
  return `"${address}" is neither an IPv4 address, an IPv6 address nor a DNS name`;
}

const readPort = integerValue(1, 65535);

const readLocality = objectOf<LocalitySpec>({
  region: required(withDescription(stringValue(), 'Region, for example eu-west. Failover rules name regions.')),
  zone: optional(withDescription(stringValue(), 'Zone inside the region, for example eu-west-1a.')),
  subZone: optional(withDescription(stringValue(), 'Sub-zone inside the zone, for example a rack.')),
});

const readEndpoint = objectOf<EndpointSpec>({
  address: required(withDescription(
    stringValue({ check: checkAddress, checkFix: 'write an IP address such as 10.0.0.7 or a DNS name such as checkout.internal' }),
    'An IPv4 address, an IPv6 address or a DNS name.',
  )),
  port: required(withDescription(readPort, 'Port the endpoint listens on.')),
  locality: optional(withDescription(readLocality, 'Where the endpoint runs. Endpoints without a locality are tried after every endpoint with one.')),
  cluster: required(withDescription(stringValue(), 'Kubernetes cluster or site the endpoint runs in.')),
  network: optional(withDescription(stringValue(), 'Network the address is reachable on.')),
  weight: withDefault(withDescription(integerValue(1, MAX_SERVICE_WEIGHT_SUM), 'Load balancing weight of the endpoint.'), 1),
  labels: optional(withDescription(stringMap(), 'Labels of the endpoint, for example version: v1.')),
});

const readSpec = objectOf<ServiceSpec>({
  port: required(withDescription(readPort, 'Port clients address the service on. Sidecar outbound listeners listen on it.')),
  protocol: withDefault(withDescription(enumValue(SERVICE_PROTOCOLS), 'Application protocol of the port.'), 'http'),
  endpoints: required(withDescription(
    refine(listOf(readEndpoint, { nonEmpty: true }), checkEndpointList),
    'The addresses that serve the service. An address and port pair appears at most once.',
  )),
});

function validateServiceSpec(spec: Cursor, header: DocumentHeader): Service | undefined {
  const parsed = readSpec(spec);
  if (parsed === undefined) return undefined;

  return {
    name: header.name,
    port: parsed.port,
    protocol: parsed.protocol,
    endpoints: parsed.endpoints.map(toEndpoint),
  };
}

function checkEndpointList(list: Cursor, endpoints: readonly EndpointSpec[]): void {
  checkDuplicateEndpoints(list, endpoints);
  checkWeightSum(list, endpoints);
}

function checkDuplicateEndpoints(list: Cursor, endpoints: readonly EndpointSpec[]): void {
  const seen = new Map<string, number>();
  endpoints.forEach((endpoint, index) => {
    const key = `${endpoint.address.toLowerCase()} ${endpoint.port}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, index);
      return;
    }
    const cursor = fieldCursor(itemCursor(list, index), 'address');
    list.context.report(
      'MERIDIAN_CONFIG_DUPLICATE_ENDPOINT',
      cursor,
      `endpoint ${endpoint.address}:${endpoint.port} is already listed as endpoints[${first}]`,
    );
  });
}

function checkWeightSum(list: Cursor, endpoints: readonly EndpointSpec[]): void {
  const sum = endpoints.reduce((total, endpoint) => total + endpoint.weight, 0);
  if (sum <= MAX_SERVICE_WEIGHT_SUM) return;
  list.context.report(
    'MERIDIAN_CONFIG_OUT_OF_RANGE',
    list,
    `the endpoint weights add up to ${sum}; the sum may be at most ${MAX_SERVICE_WEIGHT_SUM}`,
    { value: sum, fix: 'lower the weights in proportion' },
  );
}

function toEndpoint(spec: EndpointSpec): Endpoint {
  const endpoint: Endpoint = {
    address: spec.address,
    port: spec.port,
    cluster: spec.cluster,
    network: spec.network ?? '',
    weight: spec.weight,
    labels: spec.labels ?? {},
  };
  if (spec.locality !== undefined) endpoint.locality = toLocality(spec.locality);
  return endpoint;
}

function toLocality(spec: LocalitySpec): Locality {
  return { region: spec.region, zone: spec.zone ?? '', subZone: spec.subZone ?? '' };
}

/** The ServiceEndpoints kind, for registration in a `KindRegistry`. Each document yields one `Service`. */
export const serviceEndpointsKind: KindDefinition<Service> = {
  kind: SERVICE_ENDPOINTS_KIND,
  validateSpec: validateServiceSpec,
  specSchema: schemaOf(readSpec),
};
