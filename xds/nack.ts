/** A resource of a rejected response, with the version that the proxy rejected. */
export interface RejectedResource {
  name: string;
  version: string;
}

/** The server's reading of a NACK, beyond the version and message every NACK carries. */
export interface NackDetail {
  /** Group of the proxy, as the snapshot cache maps it. */
  group: string;
  /** `cause` of the snapshot the rejected response came from. */
  cause: string;
  /**
   * Resources the rejection was traced to. When the message names none of them, every resource
   * of the response is listed and `traced` is false.
   */
  rejected: RejectedResource[];
  /** True when the message named the rejected resources, so only those are held back. */
  traced: boolean;
}

/**
 * Finds the resources of a response that a NACK message names. grpc-js-xds (1.14) writes
 * `resource index N: ...` with the position of the resource in the response; Envoy names the
 * resources themselves ("Error adding/updating cluster(s) checkout: ..."). Returns the names
 * found, in response order, or an empty list when the message names none.
 *
 * NOTE: a name is matched as a whole word, so a short numeric name such as a port can match a
 * number in the message that means something else. The cost of a false match is that one more
 * resource is held at its last accepted version until the next change.
 */
export function traceRejectedResources(message: string, sentNames: readonly string[]): string[] {
  const found = new Set<string>();
  for (const match of message.matchAll(/resource index (\d+)/g)) {
    const name = sentNames[Number(match[1])];
    if (name !== undefined) found.add(name);
  }
  for (const name of sentNames) {
    if (name === '' || found.has(name)) continue;
    const pattern = new RegExp(`(?<![\\w.-])${escapeRegExp(name)}(?![\\w-]|\\.\\w)`);
    if (pattern.test(message)) found.add(name);
  }
  return sentNames.filter((name) => found.has(name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
