import { referencesOf, type TypeUrl } from '../../xds';
import type { GeneratedResources } from './build';

/** A reference from one resource to a resource that the set does not contain. */
export interface ConsistencyProblem {
  typeUrl: TypeUrl;
  /** Name of the resource that holds the reference. */
  name: string;
  /** Type URL and name of the missing resource. */
  missing: { typeUrl: TypeUrl; name: string };
  message: string;
}

/**
 * Checks that every resource a set refers to is in the set: the ClusterLoadAssignment named by
 * each EDS cluster, the RouteConfiguration named by each HttpConnectionManager that uses RDS, and
 * the cluster named by each route and TCP proxy. The references are read by xds's `referencesOf`,
 * the same reader that orders pushes. Returns one problem per missing reference, or an empty list.
 */
export function checkConsistency(resources: GeneratedResources): ConsistencyProblem[] {
  const present = new Set<string>();
  for (const [typeUrl, list] of Object.entries(resources.byTypeUrl)) {
    for (const resource of list) present.add(`${typeUrl}\0${resource.name}`);
  }

  const problems: ConsistencyProblem[] = [];
  for (const [typeUrl, list] of Object.entries(resources.byTypeUrl) as [TypeUrl, GeneratedResources['byTypeUrl'][TypeUrl]][]) {
    for (const resource of list) {
      for (const ref of referencesOf(typeUrl, resource.message)) {
        if (present.has(`${ref.typeUrl}\0${ref.name}`)) continue;
        problems.push({
          typeUrl,
          name: resource.name,
          missing: { typeUrl: ref.typeUrl, name: ref.name },
          message: `${kindOf(typeUrl)} "${resource.name}" refers to ${kindOf(ref.typeUrl)} "${ref.name}", which is not in the resource set`,
        });
      }
    }
  }
  return problems;
}

function kindOf(typeUrl: TypeUrl): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}
