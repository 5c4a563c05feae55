export { TRACER_NAME, withSpan, linkToActiveSpan, type SpanStart } from './spans';
export { startTracing, parseOtlpEndpoint, otlpEndpointFromEnvironment, OTLP_TRACES_PATH, type Tracing, type TracingOptions } from './tracing';
