import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Generated, type Kysely } from 'kysely';
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

test('a transaction on the guarded pool: begin goes with the first statement, and commit, rollback, a failing first statement and an empty transaction behave as with begin sent alone', async () => {
  const db = await open('begin');
  try {
    await db.transaction(async (trx) => {
      await trx.insertInto('notes').values({ id: 1, body: 'first' }).execute();
      await trx.insertInto('notes').values({ id: 2, body: 'second' }).execute();
      // Still inside the transaction the begin opened: the server says so.
      const { rows } = await sql<{ open: boolean }>`select now() = statement_timestamp() as open`.execute(trx);
      assert.equal(rows[0]!.open, false, 'now() is the transaction start, before this statement');
    });
    const rows = await db.db.selectFrom('notes').select(['id', 'tx']).orderBy('id').execute();
    assert.deepEqual(rows.map((r) => r.id), [1, 2]);
    assert.equal(new Set(rows.map((r) => r.tx)).size, 1, 'both rows in one transaction');

    await assert.rejects(
      db.transaction(async (trx) => {
        await trx.insertInto('notes').values({ id: 3, body: 'rolled back' }).execute();
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    await assert.rejects(
      db.transaction(async (trx) => {
        await trx.insertInto('notes').values({ id: 1, body: 'taken' }).execute();
      }),
      (e: { code?: string }) => e.code === '23505',
    );
    assert.equal(await db.transaction(async () => 'nothing to do'), 'nothing to do');
    // A select first, then a write that depends on it: the pool's one connection is fine after all of the above.
    await db.transaction(async (trx) => {
      const n = await trx.selectFrom('notes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      await trx.insertInto('notes').values({ id: 10 + Number(n.n), body: 'after' }).execute();
    });
    assert.deepEqual((await db.db.selectFrom('notes').select('id').orderBy('id').execute()).map((r) => r.id), [1, 2, 12]);
  } finally {
    await db.close();
  }
});
