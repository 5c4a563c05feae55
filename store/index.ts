export { RevisionStore, writeFileAtomically, type Revision, type RevisionFile, type RevisionInput, type RevisionSummary } from './revisions';
export {
  PolicyHistory,
  RevisionNotFoundError,
  candidateOf,
  folderDigest,
  type PolicyHistoryOptions,
  type RevisionOutcome,
  type ListedRevision,
  type PolicyPreview,
} from './policy-history';
export { SnapshotStore, SNAPSHOT_FILE, type SnapshotStoreOptions } from './snapshot-store';
