import type { PolicyWorkflow } from '../admin';
import type { Registry } from '../discovery';
import {
  diffConfigurations,
  explainService,
  formatConfigurationDiff,
  formatExplanation,
  groupLabelOf,
  groupsOfRegistry,
  type ClientProfile,
  type HealthInput,
  type PolicyStore,
} from '../policy';
import { RevisionNotFoundError, type PolicyHistory } from '../store';
import type { SnapshotCache } from '../xds';
import { groupKeyOfProfile, profileOfGroupKey } from './groups';

/** Parts of the running process that the workflow reads. */
export interface PolicyWorkflowParts {
  history: PolicyHistory;
  policies: PolicyStore;
  registry: Registry;
  cache: SnapshotCache;
  /** Decisions of the health prober mesh, so that explain shows what proxies are sent. */
  health?: HealthInput;
}

/**
 * Implements the admin API's policy workflow on a running control plane. A diff compares the
 * groups that have a snapshot or a connected proxy, plus one group per endpoint locality, so that
 * a change is shown for localities where no proxy is connected yet.
 */
export function createPolicyWorkflow(parts: PolicyWorkflowParts): PolicyWorkflow {
  const { history, policies, registry, cache, health } = parts;
  return {
    async diff(files) {
      const preview = await history.preview(files);
      if (!preview.candidate.accepted) return { diagnostics: preview.candidate.diagnostics };
      const snapshot = registry.snapshot();
      const groups = diffGroupsOf(cache, groupsOfRegistry(snapshot));
      const diff = diffConfigurations(
        { registry: snapshot, policies: preview.current.policies },
        { registry: snapshot, policies: preview.candidate.set.policies },
        groups,
      );
      return { diagnostics: preview.candidate.diagnostics, diff, text: formatConfigurationDiff(diff) };
    },
    apply: (files, author, message) => history.apply(files, author, message),
    revisions: () => history.list(),
    revision: (id) => history.get(id),
    async rollback(id, author, message) {
      try {
        return await history.rollback(id, author, message);
      } catch (error) {
        if (error instanceof RevisionNotFoundError) return undefined;
        throw error;
      }
    },
    explain(service, from, kind, group = {}) {
      const explanation = explainService(registry.snapshot(), policies.current().policies, service, from, kind, group, health);
      return explanation && { explanation, text: formatExplanation(explanation) };
    },
  };
}

/** Returns the groups of the cache and the registry's localities, each once, with its connected proxies. */
function diffGroupsOf(cache: SnapshotCache, registryGroups: readonly ClientProfile[]): { profile: ClientProfile; proxies: number }[] {
  const keys = new Set([...registryGroups.map(groupKeyOfProfile), ...cache.groups(), ...cache.activeGroups()]);
  const groups = [...keys].map((key) => ({ profile: profileOfGroupKey(key), proxies: cache.watchCount(key) }));
  return groups.sort((a, b) => (groupLabelOf(a.profile) < groupLabelOf(b.profile) ? -1 : 1));
}
