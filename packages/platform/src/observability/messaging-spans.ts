import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { EventEnvelope } from '@orderflow/contracts';
import { contextFromHeaders, SpanKind, traceHeaders, tracer } from './spans.ts';
import { SERVICE_ATTRIBUTE } from './tracer-provider.ts';

/** Events are keyed by order id, except the catalogue's, keyed by sku. */
function keyAttribute(e: EventEnvelope): Record<string, string> {
  return e.type.startsWith('Product') ? { 'messaging.message.key': e.key } : { 'order.id': e.key };
}

/**
 * A producer span per event that carries a trace (a `traceparent` written by the outbox), child
 * of the span that wrote it; the event's `traceparent` is replaced by the publish span's, so the
 * consumer's span hangs under the publish. Events without a trace get no span.
 */
export function startPublishSpans(events: EventEnvelope[]): { end(error?: unknown): void } {
  const spans: Span[] = [];
  for (const e of events) {
    if (!e.headers?.traceparent) continue;
    const parent = contextFromHeaders(e.headers);
    const span = tracer().startSpan(
      `publish ${e.subject}`,
      { kind: SpanKind.PRODUCER, attributes: { [SERVICE_ATTRIBUTE]: e.source, 'messaging.destination.name': e.subject, 'messaging.message.id': e.id, ...keyAttribute(e) } },
      parent,
    );
    e.headers = { ...e.headers, ...traceHeaders(trace.setSpan(parent, span)) };
    spans.push(span);
  }
  return {
    end(error) {
      for (const s of spans) {
        if (error !== undefined) {
          s.recordException(error as Error);
          s.setStatus({ code: SpanStatusCode.ERROR });
        }
        s.end();
      }
    },
  };
}

/**
 * Runs a consumer's handler inside a consumer span, child of the message's `traceparent`
 * (a new trace when it has none). A throw marks the span as an error and is rethrown.
 */
export async function withConsumeSpan<T>(consumer: string, message: EventEnvelope & { attempt: number }, fn: () => Promise<T>): Promise<T> {
  const parent: Context = contextFromHeaders(message.headers, ROOT_CONTEXT);
  const span = tracer().startSpan(
    `consume ${message.subject}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [SERVICE_ATTRIBUTE]: consumer,
        'messaging.destination.name': message.subject,
        'messaging.consumer.group.name': consumer,
        'messaging.message.id': message.id,
        'messaging.delivery.attempt': message.attempt,
        ...keyAttribute(message),
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
