import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Kysely } from 'kysely';
import type { EventEnvelope } from '@orderflow/contracts';
import { openPostgresDatabase } from '../db/postgres.ts';
import { ensureServiceDatabase } from '../db/pg-provision.ts';
import { platformMigrations } from '../db/platform-migrations.ts';
import type { Broker } from '../broker/broker.ts';
import { appendToOutbox } from './outbox.ts';
import { createOutboxRelay } from './relay.ts';
import { PG_ADMIN_URL, dropPgPrefix, runId, until } from '../../../../test/support/distributed.ts';

const prefix = `of_${runId()}_`;
after(() => dropPgPrefix(prefix));

/** The publishing half of the Broker port, recording what it was given (after a small delay, like a network). */
function recordingBroker(published: string[]): Broker {
  const unused = () => {
    throw new Error('not used by the relay');
  };
  return {
    async publish(events: readonly EventEnvelope[]) {
      await new Promise((r) => setTimeout(r, 2));
      for (const e of events) published.push(e.id);
    },
    subscribe: unused,
    start: unused,
    deadLetters: { list: unused, replay: unused },
    stats: unused,
    drain: async () => undefined,
    close: async () => undefined,
  };
}

async function fill(db: Awaited<ReturnType<typeof openPostgresDatabase>>, n: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let i = 0; i < n; i += 50) {
    const events = Array.from({ length: Math.min(50, n - i) }, (_, j) => ({ type: 'OrderPlaced' as const, key: `k${i + j}`, data: {} as never }));
    const env = await db.transaction((trx) => appendToOutbox(trx, events));
    for (const e of env) ids.add(e.id);
  }
  return ids;
}

test('three relays on one PostgreSQL outbox publish every row exactly once', async () => {
  const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}relay`, role: `${prefix}relay` });
  const dbs = await Promise.all([1, 2, 3].map(() => openPostgresDatabase({ url, migrations: platformMigrations, poolSize: 3 })));
  try {
    const ids = await fill(dbs[0]!, 600);
    const published: string[] = [];
    const relays = dbs.map((db) => createOutboxRelay({ db, broker: recordingBroker(published), batchSize: 20, idlePollMs: 10 }));
    for (const r of relays) r.start();
    await until(async () => (await relays[0]!.pending()).count === 0, 15_000, 'outbox empty');
    for (const r of relays) await r.stop();
    assert.equal(published.length, 600, 'no row published twice');
    assert.deepEqual(new Set(published), ids);
  } finally {
    await Promise.all(dbs.map((d) => d.close()));
  }
});

test('rows claimed by a relay whose connection dies are published by another, none stranded', async () => {
  const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}strand`, role: `${prefix}strand` });
  const db = await openPostgresDatabase({ url, migrations: platformMigrations, poolSize: 3 });
  const dying = new pg.Client({ connectionString: url });
  await dying.connect();
  dying.on('error', () => undefined);
  try {
    const ids = await fill(db, 100);
    // A "relay" claims 40 rows and then its process dies without committing.
    await dying.query('begin');
    const claimed = await dying.query('select seq from outbox order by seq limit 40 for update skip locked');
    assert.equal(claimed.rowCount, 40);
    const published: string[] = [];
    const relay = createOutboxRelay({ db, broker: recordingBroker(published), batchSize: 25, idlePollMs: 10 });
    relay.start();
    // Meanwhile the live relay skips the locked rows rather than waiting for them.
    await until(() => published.length === 60, 10_000, 'the unlocked 60');
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [(dying as unknown as { processID: number }).processID]);
    await admin.end();
    await until(async () => (await relay.pending()).count === 0, 10_000, 'outbox empty');
    await relay.stop();
    assert.equal(published.length, 100);
    assert.deepEqual(new Set(published), ids);
    assert.equal(((await (db.db as Kysely<any>).selectFrom('outbox').selectAll().execute()) as unknown[]).length, 0);
  } finally {
    await dying.end().catch(() => undefined);
    await db.close();
  }
});
