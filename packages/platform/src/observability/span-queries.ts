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
  /** All of the customer's requests in the window. */
  requests: number;
  /** The route whose requests fared worst for this customer (highest p95 end to end). */
  route: string;
  /** p95 end to end of the customer's requests on `route`. */
  p95Ms: number;
  maxMs: number;
}

export interface SlowReport {
  sinceMs: number;
  requests: number;
  slowest: SlowRequest[];
  customers: AffectedCustomer[];
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
}

/**
 * The slowest HTTP requests since `sinceMs` (epoch ms), judged end to end: from the request's
 * start to the end of the last span below it (the order's whole journey through the services).
 * Each comes with the span below it that spent the most time of its own, the why. Customers are
 * ranked by the p95 of their worst route: a customer whose orders are slow stays on top however
 * many quick reads (a client polling its order's status) they send besides. Reads at most
 * `scanLimit` (default 500 000) newest spans.
 */
export function slowRequests(db: SQLite.Database, opts: { sinceMs: number; limit?: number; scanLimit?: number }): SlowReport {
  const rows = db
    .prepare(`select * from (select * from spans where start_ms >= ? order by seq desc limit ?) order by start_ms`)
    .all(opts.sinceMs, opts.scanLimit ?? 500_000) as Row[];
  const byTrace = new Map<string, SpanRecord[]>();
  for (const r of rows) {
    const list = byTrace.get(r.trace_id);
    if (list) list.push(toRecord(r));
    else byTrace.set(r.trace_id, [toRecord(r)]);
  }
  interface Measured {
    root: SpanNode;
    totalMs: number;
    why: SpanNode | undefined;
  }
  const measured: Measured[] = [];
  for (const spans of byTrace.values()) {
    const walk = (n: SpanNode, into: SpanNode[]) => {
      into.push(n);
      for (const c of n.children) walk(c, into);
      return into;
    };
    const visit = (n: SpanNode) => {
      if (n.kind === 'server' && typeof n.attributes['http.route'] === 'string') {
        const below = walk(n, []);
        const end = Math.max(...below.map((b) => b.startMs + b.durationMs));
        const why = below.filter((b) => b !== n).sort((a, b) => b.selfMs - a.selfMs)[0];
        measured.push({ root: n, totalMs: end - n.startMs, why });
        return;
      }
      n.children.forEach(visit);
    };
    spanTree(spans).forEach(visit);
  }
  measured.sort((a, b) => b.totalMs - a.totalMs);
  const slowest = measured.slice(0, opts.limit ?? 10).map(({ root, totalMs, why }): SlowRequest => ({
    traceId: root.traceId,
    route: String(root.attributes['http.route']),
    method: String(root.attributes['http.request.method'] ?? ''),
    status: Number(root.attributes['http.response.status_code'] ?? 0),
    customerId: root.attributes['enduser.id'] as string | undefined,
    orderId: root.attributes['order.id'] as string | undefined,
    startedAt: new Date(root.startMs).toISOString(),
    requestMs: root.durationMs,
    totalMs,
    slowestSpan: why && { name: why.name, service: why.service, durationMs: why.durationMs, selfMs: why.selfMs },
  }));
  const byCustomer = new Map<string, Map<string, number[]>>();
  for (const { root, totalMs } of measured) {
    const customer = root.attributes['enduser.id'];
    if (typeof customer !== 'string') continue;
    const routes = byCustomer.get(customer) ?? new Map<string, number[]>();
    const route = `${String(root.attributes['http.request.method'] ?? '')} ${String(root.attributes['http.route'])}`.trim();
    const values = routes.get(route);
    if (values) values.push(totalMs);
    else routes.set(route, [totalMs]);
    byCustomer.set(customer, routes);
  }
  const customers = [...byCustomer]
    .map(([customerId, routes]): AffectedCustomer => {
      const worst = [...routes].map(([route, values]) => ({ route, p95Ms: p95(values), maxMs: Math.max(...values) })).sort((a, b) => b.p95Ms - a.p95Ms)[0]!;
      return { customerId, requests: [...routes.values()].reduce((n, v) => n + v.length, 0), ...worst };
    })
    .sort((a, b) => b.p95Ms - a.p95Ms)
    .slice(0, 10);
  return { sinceMs: opts.sinceMs, requests: measured.length, slowest, customers };
}
