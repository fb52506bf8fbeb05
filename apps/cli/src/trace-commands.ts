import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, openSpanDatabase, slowRequests, spansOfTrace, spanTree, type SpanNode } from '@orderflow/platform';

const ms = (v: number) => (v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`);

/** Reads `<ORDERFLOW_DATA_DIR>/traces.db`; undefined (and a message) when there is none yet. */
function openStore() {
  const file = join(loadConfig().dataDir, 'traces.db');
  if (!existsSync(file)) {
    console.error(`no trace store at ${file} (is ORDERFLOW_DATA_DIR right, and tracing on?)`);
    return undefined;
  }
  return openSpanDatabase(file, { readonly: true });
}

function printTree(nodes: SpanNode[], prefix: string, origin: number): void {
  nodes.forEach((n, i) => {
    const last = i === nodes.length - 1;
    const err = n.status === 'error' ? '  ERROR' : '';
    console.log(`${prefix}${last ? '└─ ' : '├─ '}${n.name}  [${n.service}]  ${ms(n.durationMs)}  (+${ms(n.startMs - origin)})${err}`);
    printTree(n.children, prefix + (last ? '   ' : '│  '), origin);
  });
}

/**
 * `orderflow trace <traceId> [--json]`: the spans of one trace as a tree, each with its service,
 * its duration and when it started after the first span. Exit 1 when the trace is unknown.
 */
export function traceCommand(arg: string, opts: { json?: boolean }): number {
  // A whole traceparent (00-<trace>-<span>-<flags>) names its trace too.
  const traceId = /^00-[0-9a-fA-F]{32}-/.test(arg) ? arg.slice(3, 35) : arg;
  if (!/^[0-9a-fA-F]{32}$/.test(traceId)) {
    console.error(`a trace id is 32 hex digits, got "${traceId}"`);
    return 2;
  }
  const db = openStore();
  if (!db) return 1;
  try {
    const spans = spansOfTrace(db, traceId);
    if (spans.length === 0) {
      console.error(`no spans for trace ${traceId}`);
      return 1;
    }
    const tree = spanTree(spans);
    if (opts.json) {
      console.log(JSON.stringify({ traceId: traceId.toLowerCase(), spans: tree }, null, 2));
      return 0;
    }
    const origin = Math.min(...spans.map((s) => s.startMs));
    const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
    const services = [...new Set(spans.map((s) => s.service))].join(', ');
    console.log(`trace ${traceId.toLowerCase()}: ${spans.length} spans, ${ms(end - origin)} end to end, services: ${services}`);
    printTree(tree, '', origin);
    return 0;
  } finally {
    db.close();
  }
}

/** `15m`, `30s`, `2h`, `1d` (or plain seconds) to milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms'];
  return Number(m[1]) * unit;
}

/**
 * `orderflow slow [--since 15m] [--limit 10] [--json]`: the slowest requests (end to end through
 * their trace) with route, customer and the span that took the most time of its own, and the
 * customers most affected.
 */
export function slowCommand(opts: { since?: string; limit?: string; json?: boolean }): number {
  const sinceMs = parseDuration(opts.since ?? '15m');
  const limit = Number(opts.limit ?? 10);
  if (sinceMs === undefined || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    console.error('usage: orderflow slow [--since 15m] [--limit 1..1000] [--json]');
    return 2;
  }
  const db = openStore();
  if (!db) return 1;
  try {
    const report = slowRequests(db, { sinceMs: Date.now() - sinceMs, limit });
    if (opts.json) {
      console.log(JSON.stringify(report, null, 2));
      return 0;
    }
    console.log(`${report.requests} traced requests since ${new Date(report.sinceMs).toISOString()}\n`);
    console.log('slowest requests (end to end; "why" is the span with the most time of its own):');
    for (const r of report.slowest) {
      const why = r.slowestSpan ? `${r.slowestSpan.name} [${r.slowestSpan.service}] ${ms(r.slowestSpan.selfMs)}` : '-';
      console.log(`  ${ms(r.totalMs).padStart(9)}  ${`${r.method} ${r.route}`.padEnd(28)} ${r.status}  customer ${r.customerId ?? '-'}  order ${r.orderId ?? '-'}`);
      console.log(`             why: ${why}   trace ${r.traceId}`);
    }
    console.log('\ncustomers most affected (p95 end to end of their worst route):');
    for (const c of report.customers) console.log(`  ${c.customerId}  ${c.route}  p95 ${ms(c.p95Ms)}  max ${ms(c.maxMs)}  ${c.requests} requests`);
    return 0;
  } finally {
    db.close();
  }
}
