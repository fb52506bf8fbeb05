import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { createSpanStore } from './span-store.ts';
import { registerTracing } from './register-tracing.ts';
import { withSpan } from './spans.ts';
import type { SpanRecord } from './span-record.ts';

function withDir<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'span-store-test-'));
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const span = (i: number): SpanRecord => ({
  traceId: i.toString(16).padStart(32, '0'),
  spanId: i.toString(16).padStart(16, '0'),
  parentSpanId: undefined,
  name: 'x',
  kind: 'internal',
  service: 'orders',
  startMs: Date.now(),
  durationMs: 1,
  status: 'unset',
  attributes: {},
});

const count = (db: SQLite.Database) => (db.prepare('select count(*) as n from spans').get() as { n: number }).n;

test('a flush that finds another writer holding the file keeps its batch and writes it on the next flush', () =>
  withDir((dir) => {
    const file = join(dir, 'traces.db');
    const store = createSpanStore({ file, flushMs: 60_000, writeWaitMs: 0 });
    const other = new SQLite(file);
    try {
      other.exec('begin immediate'); // the write lock, as another thread's flush would hold it
      for (let i = 1; i <= 10; i++) store.add(span(i));
      const started = Date.now();
      store.flush(); // must neither throw nor wait
      assert.ok(Date.now() - started < 1000);
      other.exec('commit');
      assert.equal(count(store.db), 0);
      store.add(span(11));
      store.flush();
      assert.equal(count(store.db), 11, 'the held-back batch and the new span');
      assert.equal(store.dropped(), 0);
    } finally {
      other.close();
      store.close();
    }
  }));

// The embedded runtime registers tracing in its main thread and again in its pipeline worker:
// both write <dataDir>/traces.db.
const workerSource = (tsxApi: string, registerUrl: string, spansUrl: string) => `
import { register } from ${JSON.stringify(tsxApi)};
import { parentPort, workerData } from 'node:worker_threads';
register();
const { registerTracing } = await import(${JSON.stringify(registerUrl)});
const { withSpan } = await import(${JSON.stringify(spansUrl)});
const tracing = registerTracing({ enabled: true, dataDir: workerData.dir });
for (let i = 0; i < workerData.n; i++) {
  await withSpan('worker op', {}, async () => withSpan('worker db', {}, async () => {}));
  if (i % 50 === 0) tracing.store.flush();
}
await tracing.shutdown();
parentPort.postMessage(tracing.store.dropped());
`;

test('tracing registered in two threads writes one traces.db: every span of both lands', () =>
  withDir(async (dir) => {
    const n = 2000;
    const source = workerSource(import.meta.resolve('tsx/esm/api'), new URL('./register-tracing.ts', import.meta.url).href, new URL('./spans.ts', import.meta.url).href);
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), { workerData: { dir, n } });
    const workerDropped = new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const tracing = registerTracing({ enabled: true, dataDir: dir });
    try {
      for (let i = 0; i < n; i++) {
        await withSpan('main op', {}, async () => withSpan('main db', {}, async () => {}));
        if (i % 50 === 0) tracing.store!.flush();
      }
      assert.equal(await workerDropped, 0);
      tracing.store!.flush();
      assert.equal(tracing.store!.dropped(), 0);
    } finally {
      await tracing.shutdown();
    }
    const db = new SQLite(join(dir, 'traces.db'), { readonly: true });
    try {
      const rows = db.prepare('select name, count(*) as n from spans group by name order by name').all();
      assert.deepEqual(rows, [
        { name: 'main db', n },
        { name: 'main op', n },
        { name: 'worker db', n },
        { name: 'worker op', n },
      ]);
      const orphans = db.prepare(`select count(*) as n from spans c where c.name like '% db' and not exists (select 1 from spans p where p.span_id = c.parent_id and p.trace_id = c.trace_id)`).get() as { n: number };
      assert.equal(orphans.n, 0, 'each db span under its op span, in its trace');
    } finally {
      db.close();
    }
  }));
