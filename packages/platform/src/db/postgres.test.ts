import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { openPostgresDatabase } from './postgres.ts';
import { ensureServiceDatabase, serviceDatabaseUrl } from './pg-provision.ts';
import { platformMigrations } from './platform-migrations.ts';
import type { Migration } from './database.ts';
import { claimInbox } from '../inbox/inbox.ts';
import { appendToOutbox } from '../outbox/outbox.ts';
import { PG_ADMIN_URL, dropPgPrefix, runId } from '../../../../test/support/distributed.ts';

const prefix = `of_${runId()}_`;
after(() => dropPgPrefix(prefix));

const stockMigration: Migration = {
  name: 'test-001-stock',
  async up(db) {
    await db.schema
      .createTable('stock')
      .addColumn('sku', 'text', (c) => c.primaryKey())
      .addColumn('qty', 'integer', (c) => c.notNull())
      .execute();
  },
};

test('provisioning is idempotent and a role cannot open another service’s database', async () => {
  const a = { database: `${prefix}orders`, role: `${prefix}orders` };
  const b = { database: `${prefix}payments`, role: `${prefix}payments` };
  const [urlA] = await Promise.all([ensureServiceDatabase(PG_ADMIN_URL, a), ensureServiceDatabase(PG_ADMIN_URL, a), ensureServiceDatabase(PG_ADMIN_URL, b)]);
  assert.equal(urlA, serviceDatabaseUrl(PG_ADMIN_URL, a));
  const own = new pg.Client({ connectionString: urlA });
  await own.connect();
  assert.equal((await own.query('select current_user as u')).rows[0].u, a.role);
  await own.end();
  const foreign = new pg.Client({ connectionString: serviceDatabaseUrl(PG_ADMIN_URL, { database: a.database, role: b.role }) });
  await assert.rejects(foreign.connect(), (e: Error & { code?: string }) => e.code === '42501');
  await foreign.end().catch(() => undefined);
});

test('migrations from several instances at once apply once; counts and bigserial read as numbers', async () => {
  const spec = { database: `${prefix}inventory`, role: `${prefix}inventory` };
  const url = await ensureServiceDatabase(PG_ADMIN_URL, spec);
  const migrations = [...platformMigrations, stockMigration];
  const dbs = await Promise.all([1, 2, 3].map(() => openPostgresDatabase({ url, migrations, poolSize: 2 })));
  try {
    const db = dbs[0]!;
    assert.equal(db.dialect, 'postgres');
    const applied = await (db.db as Kysely<any>).selectFrom('_migrations').select('name').execute();
    assert.deepEqual(applied.map((r) => r.name).sort(), ['platform-001-outbox-inbox', 'test-001-stock']);
    await db.transaction((trx) => appendToOutbox(trx, [{ type: 'OrderPlaced', key: 'k', data: { orderId: 'o', customerId: 'c', items: [], paymentMethod: 'pm' } as never }]));
    const row = await (db.db as Kysely<any>).selectFrom('outbox').select(['seq']).select((eb) => eb.fn.countAll().as('n')).groupBy('seq').executeTakeFirstOrThrow();
    assert.equal(typeof row.seq, 'number');
    assert.equal(row.n, 1);
  } finally {
    await Promise.all(dbs.map((d) => d.close()));
  }
});

test('a transaction that throws rolls back and fires no commit listener; the inbox claim holds across connections', async () => {
  const spec = { database: `${prefix}notifications`, role: `${prefix}notifications` };
  const url = await ensureServiceDatabase(PG_ADMIN_URL, spec);
  const db = await openPostgresDatabase({ url, migrations: [...platformMigrations, stockMigration], poolSize: 8 });
  try {
    let commits = 0;
    db.onCommit(() => commits++);
    await assert.rejects(
      db.transaction(async (trx) => {
        await (trx as Kysely<any>).insertInto('stock').values({ sku: 'tea', qty: 1 }).execute();
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(commits, 0);
    assert.equal((await (db.db as Kysely<any>).selectFrom('stock').selectAll().execute()).length, 0);
    // Eight concurrent claims of one message on eight connections: exactly one wins.
    const wins = await Promise.all(Array.from({ length: 8 }, () => db.transaction((trx) => claimInbox(trx, 'payments', 'm-1'))));
    assert.equal(wins.filter(Boolean).length, 1);
    assert.equal(commits, 8);
  } finally {
    await db.close();
  }
});

test('the conditional stock update cannot oversell under concurrent transactions', async () => {
  const spec = { database: `${prefix}stock`, role: `${prefix}stock` };
  const url = await ensureServiceDatabase(PG_ADMIN_URL, spec);
  const db = await openPostgresDatabase({ url, migrations: [...platformMigrations, stockMigration], poolSize: 10 });
  try {
    await (db.db as Kysely<any>).insertInto('stock').values({ sku: 'tea', qty: 5 }).execute();
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        db.transaction(async (trx) => {
          const r = await (trx as Kysely<any>)
            .updateTable('stock')
            .set({ qty: sql`qty - 1` })
            .where('sku', '=', 'tea')
            .where('qty', '>=', 1)
            .executeTakeFirst();
          return Number(r.numUpdatedRows) === 1;
        }),
      ),
    );
    assert.equal(results.filter(Boolean).length, 5);
    const left = await (db.db as Kysely<any>).selectFrom('stock').select('qty').executeTakeFirstOrThrow();
    assert.equal(left.qty, 0);
  } finally {
    await db.close();
  }
});

test('statement_timeout from the options cancels a slow statement', async () => {
  const spec = { database: `${prefix}timeout`, role: `${prefix}timeout` };
  const url = await ensureServiceDatabase(PG_ADMIN_URL, spec);
  const db = await openPostgresDatabase({ url, migrations: platformMigrations, poolSize: 1, statementTimeoutMs: 100 });
  try {
    await assert.rejects(sql`select pg_sleep(2)`.execute(db.db), (e: Error & { code?: string }) => e.code === '57014');
  } finally {
    await db.close();
  }
});

test('after every connection is cut (as by a server restart) the pool reconnects and the next transaction commits', async () => {
  const spec = { database: `${prefix}restart`, role: `${prefix}restart` };
  const url = await ensureServiceDatabase(PG_ADMIN_URL, spec);
  const errors: Error[] = [];
  const db = await openPostgresDatabase({ url, migrations: [...platformMigrations, stockMigration], poolSize: 4, onPoolError: (e) => errors.push(e) });
  try {
    await Promise.all([1, 2, 3, 4].map((i) => (db.db as Kysely<any>).insertInto('stock').values({ sku: `s${i}`, qty: i }).execute()));
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const cut = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [spec.database]);
    await admin.end();
    assert.ok(cut.rowCount! >= 1, 'idle pooled connections were cut');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(errors.length >= 1, 'the pool was told (and the process did not crash)');
    await db.transaction((trx) => (trx as Kysely<any>).insertInto('stock').values({ sku: 'after', qty: 1 }).execute());
    const n = await (db.db as Kysely<any>).selectFrom('stock').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(n.n, 5);
  } finally {
    await db.close();
  }
});
