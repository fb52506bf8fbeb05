import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Generated, Kysely } from 'kysely';
import { openPostgresDatabase } from './postgres.ts';
import { ensureServiceDatabase } from './pg-provision.ts';
import type { Database, Migration } from './database.ts';
import { createDependencyPolicy } from '../resilience/dependency-policy.ts';
import { dependencyDefaults } from '../resilience/dependency-policy-options.ts';
import { isPostgresOutage } from '../resilience/resilient-pg-pool.ts';
import { PG_ADMIN_URL, dropPgPrefix, runId } from '../../../../test/support/distributed.ts';

const prefix = `of_${runId()}_`;
after(() => dropPgPrefix(prefix));

interface Tables {
  notes: { id: number; body: string | null; meta: string | null; tx: Generated<string>; at: string | null };
}

const notesMigration: Migration = {
  name: 'test-001-notes',
  async up(db) {
    await db.schema
      .createTable('notes')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('body', 'text')
      .addColumn('meta', 'jsonb')
      // The transaction each row was written in.
      .addColumn('tx', 'bigint', (c) => c.notNull().defaultTo(db.fn('txid_current')))
      .addColumn('at', 'timestamptz')
      .execute();
  },
};

/** A database as the services open it: under the resilience policy, and with one connection, so that every batch shares it. */
async function open(name: string): Promise<Database<Tables>> {
  const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}${name}`, role: `${prefix}${name}` });
  const policy = createDependencyPolicy('postgres', dependencyDefaults.postgres, isPostgresOutage);
  return openPostgresDatabase<Tables>({ url, migrations: [notesMigration], poolSize: 1, policy });
}

const insert = (k: Kysely<Tables>, rows: Array<{ id: number; body?: string | null; meta?: string | null; at?: string }>) => k.insertInto('notes').values(rows).compile();

test('writeTogether on PostgreSQL: the statements commit as one transaction, values bound as pg binds them, and commit listeners run', async () => {
  const db = await open('together');
  try {
    let commits = 0;
    db.onCommit(() => commits++);
    const at = new Date('2026-12-04T10:00:00.000Z');
    await db.writeTogether([
      insert(db.db, [{ id: 1, body: 'one', meta: JSON.stringify({ a: [1, 2] }), at: at.toISOString() }]),
      insert(db.db, [{ id: 2, body: null, meta: null }, { id: 3, body: "it's \u00e9" }]),
      db.db.updateTable('notes').set({ body: 'one, changed' }).where('id', '=', 1).compile(),
    ]);
    const rows = await db.db.selectFrom('notes').selectAll().orderBy('id').execute();
    assert.deepEqual(rows.map((r) => [r.id, r.body, r.meta]), [[1, 'one, changed', { a: [1, 2] }], [2, null, null], [3, "it's \u00e9", null]]);
    assert.equal(new Date(rows[0]!.at!).getTime(), at.getTime());
    assert.equal(new Set(rows.map((r) => r.tx)).size, 1, 'every row written in the same transaction');
    assert.equal(commits, 1);
  } finally {
    await db.close();
  }
});

test('writeTogether on PostgreSQL: a failing statement rolls back the ones before it, its SQLSTATE reaches the caller, and the connection serves the next call', async () => {
  const db = await open('rollback');
  try {
    await db.writeTogether([insert(db.db, [{ id: 1, body: 'kept' }])]);
    let commits = 0;
    db.onCommit(() => commits++);
    await assert.rejects(
      db.writeTogether([insert(db.db, [{ id: 2, body: 'rolled back' }]), insert(db.db, [{ id: 1, body: 'taken' }]), insert(db.db, [{ id: 3, body: 'never run' }])]),
      (e: { code?: string }) => e.code === '23505',
    );
    assert.equal(commits, 0);
    // The pool's only connection: the error left it ready, not inside a transaction.
    assert.deepEqual((await db.db.selectFrom('notes').select(['id', 'body']).orderBy('id').execute()).map((r) => [r.id, r.body]), [[1, 'kept']]);
    await db.writeTogether([insert(db.db, [{ id: 2, body: 'second try' }])]);
    await db.transaction(async (trx) => {
      await trx.insertInto('notes').values({ id: 4, body: 'a transaction after' }).execute();
    });
    assert.deepEqual((await db.db.selectFrom('notes').select('id').orderBy('id').execute()).map((r) => r.id), [1, 2, 4]);
    // A batch of one and a batch of none.
    await db.writeTogether([]);
    assert.equal(commits, 3);
  } finally {
    await db.close();
  }
});
