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
  /**
   * How long a flush waits for another writer of the same file (another thread or process) before
   * it leaves its batch for the next flush. SQLite's busy handler sleeps the thread, and with it
   * the event loop; the pipeline worker's batches are ten times the edge's, so by default a flush
   * does not wait at all. Default 0 ms.
   */
  writeWaitMs?: number;
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
  seq integer primary key,
  trace_id text not null,
  span_id text not null,
  parent_id text,
  name text not null,
  kind text not null,
  service text not null,
  start_ms real not null,
  duration_ms real not null,
  status text not null,
  attrs text not null
);
-- No secondary index: every index costs every insert, and inserts are what tracing pays on the
-- request path (npm run bench:tracing-micro). Reads are rare and bounded: slowRequests walks the
-- newest rows by seq (the primary key); spansOfTrace scans the table (maxSpans rows, ~tens of ms
-- for a CLI command). Files from before lose the indexes they had.
drop index if exists spans_trace;
drop index if exists spans_kind_start;
`;

/**
 * Opens the store's file with its schema (WAL, so the CLI can read while the server writes, and
 * several writers — threads or processes — can share one file, one commit at a time).
 */
export function openSpanDatabase(file: string, opts: { readonly?: boolean } = {}): SQLite.Database {
  if (!opts.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new SQLite(file, opts.readonly ? { readonly: true, fileMustExist: true } : {});
  // First, so that switching to WAL and creating the schema wait for a writer opening the file at the same time.
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // spans are diagnostics: losing the last ones in a power cut is fine
    db.exec(SCHEMA);
  }
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
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.writeWaitMs ?? 0))}`);
  const insert = db.prepare(
    `insert into spans (trace_id, span_id, parent_id, name, kind, service, start_ms, duration_ms, status, attrs)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const prune = db.prepare('delete from spans where seq <= ?');
  let buffer: SpanRecord[] = [];
  let droppedCount = 0;
  let closed = false;

  const writeAll = db.transaction((spans: SpanRecord[]) => {
    let last = 0;
    for (const s of spans) {
      const r = insert.run(s.traceId, s.spanId, s.parentSpanId ?? null, s.name, s.kind, s.service, s.startMs, s.durationMs, s.status, JSON.stringify(s.attributes));
      last = Number(r.lastInsertRowid);
    }
    if (last > maxSpans) prune.run(last - maxSpans);
  });

  const flush = () => {
    if (buffer.length === 0 || closed) return;
    const spans = buffer;
    buffer = [];
    try {
      writeAll(spans);
    } catch (error) {
      // Another writer holds the file (SQLITE_BUSY): the batch was rolled back; keep it for the next flush.
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY') !== true) {
        droppedCount += spans.length;
        throw error;
      }
      const room = Math.max(0, maxBuffered - buffer.length);
      droppedCount += Math.max(0, spans.length - room);
      buffer = spans.slice(0, room).concat(buffer);
    }
  };
  const timer = setInterval(() => {
    try {
      flush();
    } catch {
      // Counted in dropped(); diagnostics must not take the server down (e.g. a full disk).
    }
  }, opts.flushMs ?? 250);
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
      db.pragma('busy_timeout = 5000'); // the last batch may wait for the other writer
      flush();
      closed = true;
      db.close();
    },
  };
}
