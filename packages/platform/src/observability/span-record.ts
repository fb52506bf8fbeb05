/** A finished span as the local store and the exporters see it. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  /** `server`, `client`, `producer`, `consumer` or `internal`. */
  kind: string;
  /** The bounded context the span ran in (orders, inventory, payments, notifications) or `orderflow`. */
  service: string;
  /** Epoch milliseconds, sub-millisecond precision. */
  startMs: number;
  durationMs: number;
  /** `ok`, `error` or `unset`. */
  status: string;
  attributes: Record<string, string | number | boolean>;
}

/** Where finished spans go: must not block (the store batches). */
export interface SpanSink {
  add(span: SpanRecord): void;
}
