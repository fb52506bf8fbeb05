import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { openPostgresDatabase } from '../db/postgres.ts';
import { ensureServiceDatabase } from '../db/pg-provision.ts';
import type { Database, Migration } from '../db/database.ts';
import { loadConfig } from '../config.ts';
import { createResilienceKit, type ResilienceKit } from './resilience-kit.ts';
import { isPostgresOutage } from './resilient-pg-pool.ts';
import { startFaultProxy, type FaultProxy } from '../../../../test/support/fault-proxy.ts';
import { PG_ADMIN_URL, dropPgPrefix, runId, until } from '../../../../test/support/distributed.ts';

// Real PostgreSQL behind the fault proxy, opened the way the runtime opens a service database.
const prefix = `of_${runId()}_`;
const BUDGET_MS = 800;
const HALF_OPEN_MS = 500;
const table: Migration = { name: 'test-001-t', up: (db) => db.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).execute() };

let proxy: FaultProxy;
let kit: ResilienceKit;
let db: Database;
const k = () => db.db as Kysely<any>;
const policy = () => kit.stats().find((s) => s.dependency === 'postgres')!;
const code = (e: unknown) => (e as { code?: string }).code;

before(async () => {
  const admin = new URL(PG_ADMIN_URL);
  proxy = await startFaultProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
  const direct = new URL(await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}orders`, role: `${prefix}orders` }));
  direct.host = `127.0.0.1:${proxy.port}`;
  const config = loadConfig({
    ORDERFLOW_POSTGRES_TIMEOUT_MS: String(BUDGET_MS),
    ORDERFLOW_POSTGRES_BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS),
    ORDERFLOW_POSTGRES_CONCURRENCY: '1',
    ORDERFLOW_POSTGRES_QUEUE: '1',
  });
  kit = createResilienceKit(config.resilience);
  db = await openPostgresDatabase({ url: direct.toString(), migrations: [table], poolSize: 2, statementTimeoutMs: 400, policy: kit.policy('postgres') });
});

after(async () => {
  proxy.heal();
  await db.close();
  await proxy.close();
  await dropPgPrefix(prefix);
});

test('answers about the data (unique violations) pass through and never open the breaker', async () => {
  await k().insertInto('t').values({ id: 1 }).execute();
  for (let i = 0; i < 8; i++) await assert.rejects(k().insertInto('t').values({ id: 1 }).execute(), (e) => code(e) === '23505');
  assert.equal(policy().breaker, 'closed');
  assert.equal(policy().breakerOpened, 0);
});

test('which errors count as an outage', () => {
  for (const c of ['08006', '57014', '57P01', '53300', 'XX000', 'ECONNREFUSED', undefined]) assert.equal(isPostgresOutage(Object.assign(new Error('x'), { code: c })), true, String(c));
  for (const c of ['23505', '40001', '42P01', '22P02']) assert.equal(isPostgresOutage(Object.assign(new Error('x'), { code: c })), false, c);
});

test('a statement past the server statement_timeout is cancelled (57014) and counted; its connection stays usable', async () => {
  const before = policy().failures;
  await assert.rejects(sql`select pg_sleep(${1})`.execute(k()), (e) => code(e) === '57014');
  assert.equal(policy().failures, before + 1);
  assert.equal(policy().breaker, 'closed', 'one slow statement does not open it');
  assert.equal((await k().selectFrom('t').selectAll().execute()).length, 1);
});

test('bulkhead on the pool: with both connections held, one caller waits, one queues, the next is refused at once', async () => {
  const holders = [1, 2].map(() => db.transaction(async (trx) => void (await sql`select pg_sleep(${0.3})`.execute(trx))));
  await until(() => policy().inFlight === 0 && policy().calls >= 4, 2_000, 'both connections taken');
  const waiting = [k().selectFrom('t').selectAll().execute(), k().selectFrom('t').selectAll().execute()];
  const t0 = performance.now();
  await assert.rejects(k().selectFrom('t').selectAll().execute(), (e) => code(e) === 'DEPENDENCY_BULKHEAD_FULL');
  assert.ok(performance.now() - t0 < 50, 'refused without waiting');
  await Promise.all([...holders, ...waiting]);
  assert.equal(policy().breaker, 'closed');
});

test('a database that stops answering: each call ends at its budget, then the breaker fails calls at once; it recovers when healed', async () => {
  proxy.set({ blackhole: true });
  const slow: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await assert.rejects(db.transaction((trx) => trx.insertInto('t').values({ id: 100 + i }).execute()), (e) => code(e) === 'DEPENDENCY_TIMEOUT');
    slow.push(performance.now() - t0);
  }
  for (const ms of slow) assert.ok(ms < BUDGET_MS * 2 + 300, `within the budget: ${ms.toFixed(0)} ms`);
  assert.equal(policy().breaker, 'open');
  const t0 = performance.now();
  await assert.rejects(k().selectFrom('t').selectAll().execute(), (e) => code(e) === 'DEPENDENCY_CIRCUIT_OPEN');
  const fastMs = performance.now() - t0;
  assert.ok(fastMs < 50, `open breaker: ${fastMs.toFixed(1)} ms`);
  console.log(`# postgres blackholed: calls end after ${slow.map((ms) => ms.toFixed(0)).join('/')} ms, then ${fastMs.toFixed(1)} ms with the breaker open`);

  proxy.heal();
  proxy.resetAll();
  await new Promise((r) => setTimeout(r, HALF_OPEN_MS + 50));
  await until(async () => (await k().selectFrom('t').selectAll().execute().catch(() => undefined)) !== undefined, 10_000, 'database reachable again');
  assert.equal(policy().breaker, 'closed');
  // Connections cut mid-transaction were destroyed, not reused: a fresh transaction commits.
  await db.transaction((trx) => trx.insertInto('t').values({ id: 2 }).execute());
  assert.deepEqual((await k().selectFrom('t').select('id').orderBy('id').execute()).map((r) => r.id), [1, 2]);
});
