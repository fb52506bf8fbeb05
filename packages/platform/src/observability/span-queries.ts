import type SQLite from 'better-sqlite3';
import type { SpanRecord } from './span-record.ts';

interface Row {
  trace_id: string;
  span_id: string;
  parent_id: string | null;
  name: string;
  kind: string;
  service: string;
  start_ms: number;
  duration_ms: number;
  status: string;
  attrs: string;
}

const toRecord = (r: Row): SpanRecord => ({
  traceId: r.trace_id,
  spanId: r.span_id,
  parentSpanId: r.parent_id ?? undefined,
  name: r.name,
  kind: r.kind,
  service: r.service,
  startMs: r.start_ms,
  durationMs: r.duration_ms,
  status: r.status,
  attributes: JSON.parse(r.attrs) as SpanRecord['attributes'],
});

/** Every span of one trace, oldest first. */
export function spansOfTrace(db: SQLite.Database, traceId: string): SpanRecord[] {
  const rows = db.prepare('select * from spans where trace_id = ? order by start_ms, seq').all(traceId.toLowerCase()) as Row[];
  return rows.map(toRecord);
}

/** A span with the spans started under it. */
export interface SpanNode extends SpanRecord {
  children: SpanNode[];
  /** Duration not covered by its children: where the time went. */
  selfMs: number;
}

/** Builds the tree of a trace; spans whose parent is not in the store (a client's span) are roots. */
export function spanTree(spans: readonly SpanRecord[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>(spans.map((s) => [s.spanId, { ...s, children: [], selfMs: s.durationMs }]));
  const roots: SpanNode[] = [];
  for (const n of nodes.values()) {
    const parent = n.parentSpanId ? nodes.get(n.parentSpanId) : undefined;
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  for (const n of nodes.values()) {
    n.children.sort((a, b) => a.startMs - b.startMs);
    // Children run asynchronously (a consumer starts after its producer ends), so only time
    // a child overlaps its parent is taken off the parent's own time.
    const covered = n.children.reduce((sum, c) => sum + Math.max(0, Math.min(c.startMs + c.durationMs, n.startMs + n.durationMs) - Math.max(c.startMs, n.startMs)), 0);
    n.selfMs = Math.max(0, n.durationMs - covered);
  }
  return roots.sort((a, b) => a.startMs - b.startMs);
}

export interface SlowRequest {
  traceId: string;
  route: string;
  method: string;
  status: number;
  customerId: string | undefined;
  orderId: string | undefined;
  startedAt: string;
  /** The HTTP request alone. */
  requestMs: number;
  /** From the request's start to the last span of its trace (the order's whole journey). */
  totalMs: number;
  /** The span with the most time of its own in the trace: the why. */
  slowestSpan: { name: string; service: string; durationMs: number; selfMs: number } | undefined;
}

export interface AffectedCustomer {
  customerId: string;
  requests: number;
  p95Ms: number;
  maxMs: number;
}

export interface SlowReport {
  sinceMs: number;
  requests: number;
  slowest: SlowRequest[];
  customers: AffectedCustomer[];
}

interface RootRow {
  trace_id: string;
  span_id: string;
  start_ms: number;
  duration_ms: number;
  customer_id: string | null;
  order_id: string | null;
  route: string | null;
  attrs: string;
  end_ms: number;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
}

/**
 * The slowest HTTP requests since `sinceMs` (epoch ms), judged by their trace's end-to-end
 * duration, each with the span that spent the most time of its own, and the customers whose
 * requests were slowest (p95). Scans at most `scanLimit` (default 20 000) newest requests.
 */
export function slowRequests(db: SQLite.Database, opts: { sinceMs: number; limit?: number; scanLimit?: number }): SlowReport {
  const rows = db
    .prepare(
      `select r.trace_id, r.span_id, r.start_ms, r.duration_ms, r.customer_id, r.order_id, r.route, r.attrs,
              (select max(s.start_ms + s.duration_ms) from spans s where s.trace_id = r.trace_id and s.start_ms >= r.start_ms) as end_ms
       from spans r where r.kind = 'server' and r.start_ms >= ? and r.route is not null
       order by r.start_ms desc limit ?`,
    )
    .all(opts.sinceMs, opts.scanLimit ?? 20_000) as RootRow[];
  const totals = rows.map((r) => ({ r, totalMs: Math.max(r.duration_ms, r.end_ms - r.start_ms) }));
  totals.sort((a, b) => b.totalMs - a.totalMs);
  const slowest = totals.slice(0, opts.limit ?? 10).map(({ r, totalMs }): SlowRequest => {
    const attrs = JSON.parse(r.attrs) as Record<string, string | number>;
    const spans = spansOfTrace(db, r.trace_id).filter((s) => s.startMs >= r.start_ms);
    const nodes = spanTree(spans);
    const all: SpanNode[] = [];
    const walk = (n: SpanNode) => {
      all.push(n);
      n.children.forEach(walk);
    };
    nodes.forEach(walk);
    const inside = all.filter((n) => n.spanId !== r.span_id).sort((a, b) => b.selfMs - a.selfMs)[0];
    return {
      traceId: r.trace_id,
      route: r.route ?? '',
      method: String(attrs['http.request.method'] ?? ''),
      status: Number(attrs['http.response.status_code'] ?? 0),
      customerId: r.customer_id ?? undefined,
      orderId: r.order_id ?? undefined,
      startedAt: new Date(r.start_ms).toISOString(),
      requestMs: r.duration_ms,
      totalMs,
      slowestSpan: inside && { name: inside.name, service: inside.service, durationMs: inside.durationMs, selfMs: inside.selfMs },
    };
  });
  const byCustomer = new Map<string, number[]>();
  for (const { r, totalMs } of totals) {
    if (!r.customer_id) continue;
    const list = byCustomer.get(r.customer_id) ?? [];
    list.push(totalMs);
    byCustomer.set(r.customer_id, list);
  }
  const customers = [...byCustomer]
    .map(([customerId, values]) => ({ customerId, requests: values.length, p95Ms: p95(values), maxMs: Math.max(...values) }))
    .sort((a, b) => b.p95Ms - a.p95Ms)
    .slice(0, 10);
  return { sinceMs: opts.sinceMs, requests: rows.length, slowest, customers };
}
