import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

export { SpanKind };

/** The tracer every platform adapter uses; a no-op until a composition root registers a provider. */
export const tracer = () => trace.getTracer('orderflow');

/**
 * Runs `fn` inside a new active span and ends it when `fn` settles. A throw is recorded on the
 * span (status error, exception type and message) and rethrown unchanged.
 */
export async function withSpan<T>(name: string, opts: { kind?: SpanKind; attributes?: Attributes; parent?: Context }, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.attributes ? { attributes: opts.attributes } : {}) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** `{ traceparent }` for the active span (empty when tracing is off): what rides in message headers. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a message's or request's `traceparent` header names (the active one if none). */
export function contextFromHeaders(headers: Record<string, unknown> | undefined, base: Context = context.active()): Context {
  if (!headers) return base;
  return propagation.extract(base, headers, {
    get: (c, k) => {
      const v = (c as Record<string, unknown>)[k];
      return typeof v === 'string' ? v : Array.isArray(v) ? (v as string[]) : undefined;
    },
    keys: (c) => Object.keys(c as object),
  });
}

/** Trace and span id of the active span, for log lines; empty when there is none. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
