/**
 * The envelope every event travels in, on every broker. The `type` is an explicit field
 * (never inferred from a class name) and `id` is the deduplication key end to end:
 * the outbox row id, the broker's message id (`Nats-Msg-Id`) and the consumer inbox key.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** Unique id, stable across republishing; consumers deduplicate on it. */
  id: string;
  /** Past-tense event name, e.g. `OrderPlaced`. */
  type: TType;
  /** Schema version of `data`; bumped on a breaking change, both versions published meanwhile. */
  version: number;
  /** Producing service. */
  source: string;
  /** Routing subject: `<source>.<type>`. */
  subject: string;
  /** Aggregate key (an order id, a sku): per-key ordering and partitioning. */
  key: string;
  occurredAt: string;
  data: TData;
  /** Transport headers, e.g. W3C `traceparent`. */
  headers: Record<string, string>;
}

/** Subject of an event type produced by a service. */
export function subjectOf(source: string, type: string): string {
  return `${source}.${type}`;
}
