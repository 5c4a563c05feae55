import { messageNameOf, messageType } from '../../xds';
import type { DiscoveryResponse, RawXdsStream } from './ads-client';

/** Regions of the first ClusterLoadAssignment of a response, in priority order. */
export function regionsByPriority(response: DiscoveryResponse): string[] {
  const type = messageType(messageNameOf(response.type_url));
  const [assignment] = response.resources.map((resource) => type.toObject(type.decode(resource.value), { defaults: false }) as any);
  return assignment.endpoints
    .slice()
    .sort((a: any, b: any) => (a.priority ?? 0) - (b.priority ?? 0))
    .map((group: any) => group.locality.region);
}

/** Reads the ClusterLoadAssignment responses of one raw ADS stream, ACKing each. */
export class RegionOrderReader {
  /** The last response read. */
  latest?: DiscoveryResponse;

  constructor(
    private readonly stream: RawXdsStream,
    private readonly resourceName: string,
  ) {}

  /** Reads responses until the region order is `expected`; returns the wait in milliseconds. */
  async waitFor(expected: readonly string[], timeoutMs: number): Promise<number> {
    const started = performance.now();
    while (this.latest === undefined || JSON.stringify(regionsByPriority(this.latest)) !== JSON.stringify(expected)) {
      const left = timeoutMs - (performance.now() - started);
      if (left <= 0) throw new Error(`region order stayed ${JSON.stringify(this.latest && regionsByPriority(this.latest))}, expected ${JSON.stringify(expected)}`);
      const response = await this.stream.next(left);
      this.latest = response;
      this.stream.send({ type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce, resource_names: [this.resourceName] });
    }
    return performance.now() - started;
  }
}
