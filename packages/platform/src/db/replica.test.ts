import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { openPostgresDatabase } from './postgres.ts';
import { readStale } from './read-stale.ts';
import type { Database, Migration } from './database.ts';
import { startReplicaPair, type ReplicaPair } from '../../../../test/support/pg-replica-pair.ts';
import { until } from '../../../../test/support/distributed.ts';

// A real streaming replica: a throwaway primary and a pg_basebackup copy of it (see pg-replica-pair.ts).
let pair: ReplicaPair;
let db: Database<any>;
const notes = { name: 'test-001-notes', async up(k: Kysely<any>) { await k.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute(); } } satisfies Migration;

before(async () => {
  pair = await startReplicaPair();
  const admin = new pg.Client({ connectionString: pair.primaryUrl() });
  await admin.connect();
  await admin.query('create database of_replica_test');
  await admin.end();
  db = await openPostgresDatabase({ url: pair.primaryUrl('of_replica_test'), replicaUrl: pair.replicaUrl('of_replica_test'), migrations: [notes], poolSize: 2, replicaMaxLagMs: 300 });
});

after(async () => {
  await db?.close();
  await pair?.close();
});

const body = (k: Kysely<any>) => k.selectFrom('notes').select('body').where('id', '=', 1).executeTakeFirst().then((r) => r?.body as string | undefined);

async function replicaCommits(): Promise<number> {
  const c = new pg.Client({ connectionString: pair.replicaUrl() });
  await c.connect();
  try {
    return Number((await c.query("select xact_commit from pg_stat_database where datname = 'of_replica_test'")).rows[0].xact_commit);
  } finally {
    await c.end();
  }
}

test('reads that may be stale are served by the replica once it has caught up', async () => {
  await db.db.insertInto('notes').values({ id: 1, body: 'v1' }).execute();
  await until(async () => db.replica!.usable() && (await body(db.read)) === 'v1', 10_000, 'replica caught up');
  const before = { ...db.replica!.stats(), commits: await replicaCommits() };
  for (let i = 0; i < 20; i++) assert.equal(await readStale(db, body), 'v1');
  const afterStats = db.replica!.stats();
  assert.equal(afterStats.replicaReads - before.replicaReads, 20);
  assert.equal(afterStats.primaryReads, before.primaryReads);
  // The replica's own statistics (flushed within a few seconds) count the transactions it served.
  await until(async () => (await replicaCommits()) - before.commits >= 20, 15_000, 'the replica itself counted the reads');
});

test('a replica further behind than the bound is skipped: the primary answers until it catches up', async () => {
  await pair.pauseReplay();
  try {
    await db.db.updateTable('notes').set({ body: 'v2' }).where('id', '=', 1).execute();
    await until(() => db.replica!.stats().reason === 'lagging', 5_000, 'lag noticed');
    assert.equal(await body(db.read), 'v1', 'the replica really is behind');
    const primaryBefore = db.replica!.stats().primaryReads;
    assert.equal(await readStale(db, body), 'v2');
    assert.equal(db.replica!.stats().primaryReads, primaryBefore + 1);
    assert.ok(db.replica!.stats().lagMs! > 300);
  } finally {
    await pair.resumeReplay();
  }
  await until(() => db.replica!.usable(), 5_000, 'replica back in use');
  assert.equal(await readStale(db, body), 'v2');
});

test('a replica that goes down costs only speed: reads keep answering from the primary', async () => {
  await until(() => db.replica!.usable(), 5_000, 'replica in use');
  await pair.stopReplica();
  for (let i = 0; i < 5; i++) assert.equal(await readStale(db, body), 'v2');
  assert.equal(db.replica!.stats().reason, 'down');
  assert.equal(db.replica!.usable(), false);
});
