export { MeshController, type ControllerOptions, type RegistryView, type PolicyView, type ComputedResource, type ResourceBuilder } from './controller';
export { clientKindOf, groupKeyOf, groupKeyOfProfile, profileOfGroupKey, CLIENT_KIND_METADATA_KEY } from './groups';
export { startMeridian, type MeridianOptions, type RunningMeridian } from './app';
export { createPolicyWorkflow, type PolicyWorkflowParts } from './policy-workflow';
