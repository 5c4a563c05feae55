/** One endpoint of a test service. Every test endpoint listens on 127.0.0.1. */
export interface TestEndpoint {
  port: number;
  cluster: string;
  /** Region and zone of the endpoint's locality; no locality when both are absent. */
  region?: string;
  zone?: string;
  /** More fields of the endpoint in YAML flow style, such as `weight: 3, labels: { version: v2 }`. */
  extra?: string;
}

/** Returns a ServiceEndpoints document for gRPC on port 8080. */
export function serviceYaml(name: string, endpoints: readonly TestEndpoint[]): string {
  const lines = endpoints.map((endpoint) => {
    const fields = [`address: 127.0.0.1`, `port: ${endpoint.port}`, `cluster: ${endpoint.cluster}`];
    if (endpoint.region !== undefined || endpoint.zone !== undefined) fields.push(`locality: { region: ${endpoint.region ?? ''}, zone: ${endpoint.zone ?? ''} }`);
    if (endpoint.extra !== undefined) fields.push(endpoint.extra);
    return `    - { ${fields.join(', ')} }`;
  });
  return ['apiVersion: meridian.io/v1alpha1', 'kind: ServiceEndpoints', 'metadata:', `  name: ${name}`, 'spec:', '  port: 8080', '  protocol: grpc', '  endpoints:', ...lines, ''].join('\n');
}

/** Returns a TrafficPolicy document for `service`, with more `spec` lines indented by two spaces. */
export function policyYaml(name: string, service: string, hostnames: readonly string[], specLines: readonly string[] = []): string {
  return [
    'apiVersion: meridian.io/v1alpha1',
    'kind: TrafficPolicy',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  service: ${service}`,
    `  hostnames: [${hostnames.join(', ')}]`,
    ...specLines.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

/** Joins YAML documents into one file. */
export function yamlFile(...documents: readonly string[]): string {
  return documents.join('---\n');
}
