import { KindRegistry, loadDocuments, type Diagnostic } from '../config';
import { serviceEndpointsKind } from '../discovery';
import { checkPolicyReferences } from './references';
import { trafficPolicyKind } from './traffic-policy';

/**
 * Returns a registry of every kind the server reads (ServiceEndpoints and TrafficPolicy) with the
 * checks between them. The static source and the policy store both use it, so an edit is
 * accepted or rejected by both alike.
 */
export function createConfigKinds(): KindRegistry {
  return new KindRegistry().register(serviceEndpointsKind).register(trafficPolicyKind).addSetCheck(checkPolicyReferences);
}

/**
 * Checks YAML files and folders exactly as the running server loads them, references between
 * documents included. Returns every diagnostic in file order; the files are valid when none is an
 * error.
 */
export async function validateFiles(paths: string[]): Promise<{ diagnostics: Diagnostic[] }> {
  const loaded = await loadDocuments(paths);
  const { diagnostics } = createConfigKinds().validate(loaded);
  return { diagnostics };
}
