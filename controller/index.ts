export { MeshController, type ControllerOptions, type HealthView, type RegistryView, type PolicyView, type ComputedResource, type ResourceBuilder } from './controller';
export { clientKindOf, groupKeyOf, groupKeyOfProfile, profileOfGroupKey, CLIENT_KIND_METADATA_KEY } from './groups';
export { startMeridian, type MeridianOptions, type RunningMeridian } from './app';
export { createPolicyWorkflow, type PolicyWorkflowParts } from './policy-workflow';
export { createHealthMesh, healthTargetsOf, type HealthMesh, type HealthMeshOptions, type HealthSummary } from './health-mesh';
