import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';

/** Path that OTLP/HTTP collectors serve traces on. */
export const OTLP_TRACES_PATH = '/v1/traces';

/** Options of `startTracing`. */
export interface TracingOptions {
  /**
   * OTLP/HTTP address that receives the spans, as parsed by `parseOtlpEndpoint`. Without it and
   * without `exporter`, the exporter reads the standard `OTEL_EXPORTER_OTLP_*` variables.
   */
  endpoint?: string;
  /** Exporter used in place of OTLP/HTTP, for example an in-memory one in tests. */
  exporter?: SpanExporter;
  /** `service.name` of the spans. Default `meridian`. */
  serviceName?: string;
  /** Exports each span as it ends, instead of in batches. Default false. */
  exportEachSpan?: boolean;
  /** Receives the SDK's warnings and errors, such as a collector that cannot be reached. */
  logger?: { warn(fields: object, message: string): void };
}

/** Time after which one export request is given up, in milliseconds. It also bounds the export at shutdown. */
const EXPORT_TIMEOUT_MS = 5000;

/** The registered tracer provider of the process. */
export interface Tracing {
  /** Exports the spans that have ended and not been sent yet. */
  flush(): Promise<void>;
  /** Exports what is left and stops; spans started afterwards are not recorded. */
  shutdown(): Promise<void>;
}

/**
 * Parses the value of `--otlp-endpoint`: an http or https URL. A URL without a path, such as
 * `http://127.0.0.1:4318`, gets the standard traces path `/v1/traces`. Throws an error that names
 * the value and the expected form.
 */
export function parseOtlpEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`invalid OTLP endpoint "${text}": not a URL; write it as http://HOST:PORT with a port from 1 to 65535, for example http://127.0.0.1:4318`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`invalid OTLP endpoint "${text}": the scheme must be http or https (OTLP over HTTP); write it as http://HOST:PORT, for example http://127.0.0.1:4318`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = OTLP_TRACES_PATH;
  return url.toString();
}

/**
 * Returns the traces endpoint that the standard variables set, or undefined when neither is set.
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is the whole URL, and `OTEL_EXPORTER_OTLP_ENDPOINT` a base
 * URL that gets `/v1/traces` appended, as OpenTelemetry SDKs read them. Throws an error that names
 * the variable when its value is not an http or https URL.
 */
export function otlpEndpointFromEnvironment(environment: NodeJS.ProcessEnv = process.env): string | undefined {
  const traces = environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = environment.OTEL_EXPORTER_OTLP_ENDPOINT;
  const [variable, value] = traces ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces] : ['OTEL_EXPORTER_OTLP_ENDPOINT', base];
  if (!value) return undefined;
  try {
    parseOtlpEndpoint(value);
    if (variable === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') return value;
    return `${value.replace(/\/+$/, '')}${OTLP_TRACES_PATH}`;
  } catch (error) {
    throw new Error(`${variable}: ${(error as Error).message}`);
  }
}

/**
 * Registers a tracer provider for the process, so that every Meridian span is exported. Spans
 * are sent in batches unless `exportEachSpan` is set.
 */
export function startTracing(options: TracingOptions): Tracing {
  const logger = options.logger;
  if (logger !== undefined) {
    // The SDK passes a message or an error, then details; export failures come as errors.
    const report = (...args: unknown[]) =>
      logger.warn({ component: 'tracing', details: args.map(describe) }, 'OpenTelemetry reported a problem; spans may not reach the collector');
    const ignore = () => undefined;
    diag.setLogger({ error: report, warn: report, info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.WARN);
  }
  const exporter =
    options.exporter ?? new OTLPTraceExporter({ timeoutMillis: EXPORT_TIMEOUT_MS, ...(options.endpoint === undefined ? {} : { url: options.endpoint }) });
  const processor = options.exportEachSpan ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'meridian' }),
    spanProcessors: [processor],
  });
  provider.register();
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}
