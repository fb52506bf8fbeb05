import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { isSpanContextValid, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Parses a W3C `traceparent` header (version 00). Returns undefined for anything malformed or
 * for the all-zero ids the spec forbids, so a bad header starts a fresh trace instead of failing.
 */
export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return undefined;
  const sc: SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(sc) ? sc : undefined;
}

export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** The W3C trace-context propagator (traceparent only; tracestate is not carried). */
export function w3cTraceparentPropagator(): TextMapPropagator {
  return {
    inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
      const span = trace.getSpan(ctx);
      if (!span) return;
      const sc = span.spanContext();
      if (isSpanContextValid(sc)) setter.set(carrier, 'traceparent', formatTraceparent(sc));
    },
    extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
      const raw = getter.get(carrier, 'traceparent');
      const sc = parseTraceparent(Array.isArray(raw) ? raw[0] : raw);
      return sc ? trace.setSpanContext(ctx, sc) : ctx;
    },
    fields: () => ['traceparent'],
  };
}
