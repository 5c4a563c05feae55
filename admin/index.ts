export { buildAdminServer, listenAdminServer, closeAdminServer } from './server';
export type { AdminServer, AdminServerOptions } from './server';
export { parseListenAddress, DEFAULT_ADMIN_ADDRESS } from './address';
export type { ListenAddress } from './address';
export { readinessOf } from './readiness';
export type { Readiness, SourceReadiness } from './readiness';
export { AdminError, ADMIN_ERROR_CODES } from './errors';
export type { AdminErrorCode, AdminErrorBody } from './errors';
export { SyncStatusTracker } from './sync-status';
export type {
  SyncStatusProvider,
  SyncStatusTrackerOptions,
  ProxySyncStatus,
  TypeSyncStatus,
  TypeSyncState,
  NackRecord,
} from './sync-status';
export { XdsMetrics, typeLabelOf, OTHER_TYPE_LABEL } from './metrics';
export type { XdsMetricsOptions } from './metrics';
export { createLogger, isLogLevel, LOG_LEVELS } from './logging';
export type { Logger, LogLevel, LoggerOptions } from './logging';
export { registerPolicyRoutes, parseLocality, POLICY_ROUTES, POLICY_BODY_LIMIT_BYTES } from './policy-routes';
export type { PolicyWorkflow } from './policy-routes';
export { registerHealthRoutes, HEALTH_ROUTES } from './health-routes';
export type { HealthProvider } from './health-routes';
export { NackLog } from './nack-log';
export type { NackEntry, NackLogOptions, NackProvider, NackSource, RejectedResourceEntry } from './nack-log';
export { registerEndpointRoutes, ENDPOINT_ROUTES } from './endpoint-routes';
export type { EndpointsProvider, ServiceEntry, EndpointEntry, EndpointHealth } from './endpoint-routes';
export { registerDashboardRoutes, dashboardFolder, DASHBOARD_FILES, DASHBOARD_PATH } from './dashboard-routes';
