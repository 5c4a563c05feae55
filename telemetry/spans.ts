import { context, trace, SpanStatusCode, type Attributes, type Link, type Span } from '@opentelemetry/api';

/** Options of `withSpan` for the start of its span. */
export interface SpanStart {
  /** Links to the spans of the causes of the work. */
  links?: Link[];
  /**
   * Starts a new trace even when a span is active. Timers keep the context of the code that set
   * them, so work that a timer runs later would otherwise become a child of whatever set it.
   */
  root?: boolean;
}

/** Name of the tracer that every Meridian span comes from. */
export const TRACER_NAME = 'meridian';

/**
 * Runs `work` inside a new active span, so that spans started and causes recorded during it
 * belong to it, and ends the span when `work` returns or its promise settles. A thrown error is
 * recorded on the span and thrown again. Without a registered tracer provider the span does
 * nothing and costs little.
 */
export function withSpan<T>(name: string, attributes: Attributes, work: (span: Span) => T, options: SpanStart = {}): T {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes, links: options.links, root: options.root }, (span) => {
    let result: T;
    try {
      result = work(span);
    } catch (error) {
      endWithError(span, error);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          endWithError(span, error);
          throw error;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/** Returns a link to the active span, or undefined when no span is recording. */
export function linkToActiveSpan(): Link | undefined {
  const spanContext = trace.getSpanContext(context.active());
  if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) return undefined;
  return { context: spanContext };
}

function endWithError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}
