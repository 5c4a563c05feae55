export type { SourcePosition, FailoverRule, TrafficPolicy, PolicySet, ClientKind, ClientProfile } from './model';
