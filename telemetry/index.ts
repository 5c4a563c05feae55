export { TRACER_NAME, withSpan, linkToActiveSpan } from './spans';
export { startTracing, parseOtlpEndpoint, otlpEndpointInEnvironment, OTLP_TRACES_PATH, type Tracing, type TracingOptions } from './tracing';
