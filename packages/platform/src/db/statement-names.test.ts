import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { openPostgresDatabase } from './postgres.ts';
import { ensureServiceDatabase } from './pg-provision.ts';
import { createStatementNames } from './statement-names.ts';
import type { Migration } from './database.ts';
import { loadConfig } from '../config.ts';
import { createResilienceKit } from '../resilience/resilience-kit.ts';
import { PG_ADMIN_URL, dropPgPrefix, runId } from '../../../../test/support/distributed.ts';

const prefix = `of_${runId()}_`;
after(() => dropPgPrefix(prefix));

test('a text is named from its third run, a name is never reused, and naming stops at the cap', () => {
  const names = createStatementNames({ max: 2 });
  assert.equal(names.nameFor('a'), undefined);
  assert.equal(names.nameFor('a'), undefined);
  const a = names.nameFor('a');
  assert.ok(a);
  assert.equal(names.nameFor('a'), a);
  for (let i = 0; i < 2; i++) names.nameFor('b');
  const b = names.nameFor('b');
  assert.ok(b && b !== a);
  for (let i = 0; i < 5; i++) assert.equal(names.nameFor('c'), undefined, 'past the cap, unnamed');
  names.forget('a');
  for (let i = 0; i < 2; i++) names.nameFor('d');
  const d = names.nameFor('d');
  assert.ok(d && d !== a && d !== b, 'a forgotten name is not given to another text');
});

const table: Migration = { name: 'test-001-t', up: (db) => db.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'text').execute() };

test('on PostgreSQL a frequent statement is prepared once per connection, and a table changed under it is survived', async () => {
  const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}prep`, role: `${prefix}prep` });
  const kit = createResilienceKit(loadConfig({}).resilience);
  const db = await openPostgresDatabase({ url, migrations: [table], poolSize: 1, policy: kit.policy('postgres') });
  const k = db.db as Kysely<any>;
  try {
    for (let i = 0; i < 10; i++) await k.insertInto('t').values({ id: i, v: `v${i}` }).execute();
    const read = () => k.selectFrom('t').selectAll().where('id', '=', 3).executeTakeFirst();
    for (let i = 0; i < 5; i++) assert.deepEqual(await read(), { id: 3, v: 'v3' });
    const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(k);
    const texts = prepared.rows.map((r) => r.statement);
    assert.ok(texts.some((t) => t.startsWith('insert into "t"')), `the insert is prepared on the connection (${texts.join(' | ')})`);
    assert.ok(texts.some((t) => t.startsWith('select * from "t"')), 'and the select');

    // Another process changes the table: the prepared select's result type no longer holds.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('alter table t add column w text');
    await admin.end();
    await assert.rejects(read(), (e: { code?: string }) => e.code === '0A000', 'the prepared form is refused once');
    assert.deepEqual(await read(), { id: 3, v: 'v3', w: null }, 'then the text runs unnamed');
  } finally {
    await db.close();
  }
});
