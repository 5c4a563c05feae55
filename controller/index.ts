export { MeshController, type ControllerOptions, type HealthView, type RegistryView, type PolicyView, type ComputedResource, type ResourceBuilder, type ResourceSource } from './controller';
export {
  clientKindOf,
  groupKeyOf,
  groupKeyOfProfile,
  profileOf,
  profileOfGroupKey,
  CLIENT_KIND_METADATA_KEY,
  CLUSTER_METADATA_KEY,
  NETWORK_METADATA_KEY,
  GROUP_LABELS_METADATA_KEY,
} from './groups';
export { startMeridian, type MeridianOptions, type RunningMeridian } from './app';
export { createPolicyWorkflow, type PolicyWorkflowParts } from './policy-workflow';
export { createHealthMesh, healthTargetsOf, type HealthMesh, type HealthMeshOptions, type HealthSummary } from './health-mesh';
