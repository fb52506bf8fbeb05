import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import type { SpanRecord, SpanSink } from './span-record.ts';

export interface SpanStoreOptions {
  /** SQLite file, e.g. `<dataDir>/traces.db`. */
  file: string;
  /** Spans kept; the oldest are deleted past this. Default 200 000. */
  maxSpans?: number;
  /** How often buffered spans are written, in ms. Default 250. */
  flushMs?: number;
  /** Spans buffered at most between flushes; more are dropped (and counted). Default 20 000. */
  maxBuffered?: number;
}

export interface SpanStore extends SpanSink {
  /** Writes what is buffered now. */
  flush(): void;
  /** Spans dropped because the buffer was full. */
  dropped(): number;
  readonly db: SQLite.Database;
  close(): void;
}

const SCHEMA = `
create table if not exists spans (
  seq integer primary key autoincrement,
  trace_id text not null,
  span_id text not null,
  parent_id text,
  name text not null,
  kind text not null,
  service text not null,
  start_ms real not null,
  duration_ms real not null,
  status text not null,
  route text,
  customer_id text,
  order_id text,
  attrs text not null
);
create index if not exists spans_trace on spans(trace_id);
create index if not exists spans_kind_start on spans(kind, start_ms);
`;

/** Opens the store's file with its schema (WAL, so the CLI can read while the server writes). */
export function openSpanDatabase(file: string, opts: { readonly?: boolean } = {}): SQLite.Database {
  if (!opts.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new SQLite(file, opts.readonly ? { readonly: true, fileMustExist: true } : {});
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // spans are diagnostics: losing the last ones in a power cut is fine
    db.exec(SCHEMA);
  }
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * The local span store of embedded mode: spans are buffered in memory and written in one
 * transaction every `flushMs` (off the request path), and the table is kept to `maxSpans`
 * by deleting the oldest after each write.
 */
export function createSpanStore(opts: SpanStoreOptions): SpanStore {
  const maxSpans = opts.maxSpans ?? 200_000;
  const maxBuffered = opts.maxBuffered ?? 20_000;
  const db = openSpanDatabase(opts.file);
  const insert = db.prepare(
    `insert into spans (trace_id, span_id, parent_id, name, kind, service, start_ms, duration_ms, status, route, customer_id, order_id, attrs)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const prune = db.prepare('delete from spans where seq <= ?');
  let buffer: SpanRecord[] = [];
  let droppedCount = 0;
  let closed = false;

  const writeAll = db.transaction((spans: SpanRecord[]) => {
    let last = 0;
    for (const s of spans) {
      const a = s.attributes;
      const r = insert.run(
        s.traceId,
        s.spanId,
        s.parentSpanId ?? null,
        s.name,
        s.kind,
        s.service,
        s.startMs,
        s.durationMs,
        s.status,
        (a['http.route'] as string | undefined) ?? null,
        (a['enduser.id'] as string | undefined) ?? null,
        (a['order.id'] as string | undefined) ?? null,
        JSON.stringify(a),
      );
      last = Number(r.lastInsertRowid);
    }
    if (last > maxSpans) prune.run(last - maxSpans);
  });

  const flush = () => {
    if (buffer.length === 0 || closed) return;
    const spans = buffer;
    buffer = [];
    writeAll(spans);
  };
  const timer = setInterval(flush, opts.flushMs ?? 250);
  timer.unref();

  return {
    db,
    add(span) {
      if (buffer.length >= maxBuffered) droppedCount += 1;
      else buffer.push(span);
    },
    flush,
    dropped: () => droppedCount,
    close() {
      clearInterval(timer);
      flush();
      closed = true;
      db.close();
    },
  };
}
