/**
 * Floors between the bare baseline and orderflow: how much of the gap is the framework, and how
 * much is writing the order durably, before any of orderflow's own code runs. Run as a child
 * (`FLOOR_MODE=... node --import tsx bench/floor-server.ts`); prints one JSON line with its url.
 *   fastify          fastify 5 parses and schema-validates the body, answers 202
 *   fastify-sqlite   the same, plus one SQLite transaction (WAL, synchronous=NORMAL, as
 *                    orderflow's embedded mode) writing the order, the idempotency record and
 *                    the outbox row with prepared statements: the least a durable intake can do
 *   fastify-sqlite-group  the same writes, but the orders that arrive while one transaction runs
 *                    share the next (group commit): each answer still waits for its commit
 *   fastify-postgres-group  the same, on PostgreSQL (FLOOR_POSTGRES_URL: an orders database made by
 *                    orderflow, FLOOR_CUSTOMER_ID one of its customers): the three rows pgbench's
 *                    script in bench:distributed writes, in orderflow's own tables, one multi-row
 *                    insert per table per transaction, at most 8 transactions at once
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import SQLite from 'better-sqlite3';
import pg from 'pg';

const mode = process.env.FLOOR_MODE ?? 'fastify';
const MODES = ['fastify', 'fastify-sqlite', 'fastify-sqlite-group', 'fastify-postgres-group'];
if (!MODES.includes(mode)) throw new Error(`FLOOR_MODE must be one of ${MODES.join(', ')}, got ${mode}`);

const dir = mkdtempSync(join(tmpdir(), 'orderflow-floor-'));
const db = new SQLite(join(dir, 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  create table orders (id text primary key, customer_id text not null, status text not null, items text not null, created_at text not null);
  create table idempotency_keys (customer_id text not null, key text not null, response text not null, primary key (customer_id, key));
  create table outbox (seq integer primary key autoincrement, id text not null, type text not null, data text not null);
`);
const insertOrder = db.prepare('insert into orders (id, customer_id, status, items, created_at) values (?, ?, ?, ?, ?)');
const insertKey = db.prepare('insert into idempotency_keys (customer_id, key, response) values (?, ?, ?)');
const insertEvent = db.prepare('insert into outbox (id, type, data) values (?, ?, ?)');
interface Accepted {
  id: string;
  key: string;
  items: string;
  view: string;
}
const write = (o: Accepted, now: string) => {
  insertOrder.run(o.id, 'floor-customer', 'pending', o.items, now);
  insertKey.run('floor-customer', o.key, o.view);
  insertEvent.run(randomUUID(), 'OrderPlaced', o.items);
};
const acceptOne = db.transaction((o: Accepted) => write(o, new Date().toISOString()));
const acceptMany = db.transaction((batch: Accepted[]) => {
  const now = new Date().toISOString();
  for (const o of batch) write(o, now);
});

// Group commit: orders queue up; one transaction per turn of the event loop takes them all.
let queue: Array<{ order: Accepted; done: () => void }> = [];
function acceptGrouped(order: Accepted): Promise<void> {
  return new Promise((done) => {
    if (queue.length === 0) setImmediate(flushGroup);
    queue.push({ order, done });
  });
}
function flushGroup(): void {
  const batch = queue;
  queue = [];
  acceptMany(batch.map((b) => b.order));
  for (const b of batch) b.done();
}

// The same on PostgreSQL: one transaction at a time per connection, up to 8 connections, each taking
// every order that waits when it starts.
const pool = mode === 'fastify-postgres-group' ? new pg.Pool({ connectionString: process.env.FLOOR_POSTGRES_URL, max: 8 }) : undefined;
const customer = process.env.FLOOR_CUSTOMER_ID ?? 'floor-customer';
const pgQueue: Array<{ order: Accepted; done: (e?: unknown) => void }> = [];
let pgRunning = 0;
function acceptPostgres(order: Accepted): Promise<void> {
  return new Promise((resolve, reject) => {
    pgQueue.push({ order, done: (e) => (e ? reject(e) : resolve()) });
    if (pgRunning < 8) void flushPostgres();
  });
}
async function flushPostgres(): Promise<void> {
  if (pgQueue.length === 0) return;
  const batch = pgQueue.splice(0, 256);
  pgRunning++;
  // $1..$n placeholders, `per` to a row.
  const values = (per: number, row: (i: number) => string) => batch.map((_, i) => row(i * per)).join(', ');
  const c = await pool!.connect();
  try {
    const now = new Date().toISOString();
    await c.query('begin');
    await c.query(
      `insert into orders (id, customer_id, status, items, payment_method, created_at, updated_at) values ${values(2, (o) => `($${o + 1}, $${o + 2}, 'pending', '[]', 'pm_card_visa', '${now}', '${now}')`)}`,
      batch.flatMap((b) => [b.order.id, customer]),
    );
    await c.query(
      `insert into idempotency_keys (customer_id, key, request_hash, status_code, response, created_at) values ${values(3, (o) => `($${o + 1}, $${o + 2}, 'h', 202, $${o + 3}, '${now}')`)}`,
      batch.flatMap((b) => [customer, b.order.key, b.order.view]),
    );
    await c.query(
      `insert into outbox (id, type, subject, version, source, key, data, headers, occurred_at) values ${values(3, (o) => `($${o + 1}, 'FloorOnly', 'bench.FloorOnly', 1, 'bench', $${o + 2}, $${o + 3}, '{}', '${now}')`)}`,
      batch.flatMap((b) => [randomUUID(), b.order.id, b.order.items]),
    );
    await c.query('commit');
  } catch (e) {
    await c.query('rollback').catch(() => undefined);
    for (const b of batch) b.done(e);
    return;
  } finally {
    c.release();
    pgRunning--;
  }
  for (const b of batch) b.done();
  if (pgQueue.length > 0) void flushPostgres();
}

const app = Fastify({ logger: false });
const body = {
  type: 'object',
  additionalProperties: false,
  required: ['items', 'paymentMethod'],
  properties: {
    items: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: false, required: ['sku', 'quantity'], properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } } } },
    paymentMethod: { type: 'string' },
  },
} as const;
app.post('/v1/orders', { schema: { body } }, async (req, reply) => {
  const id = randomUUID();
  const view = JSON.stringify({ id, status: 'pending' });
  const order = { id, key: String(req.headers['idempotency-key'] ?? id), items: JSON.stringify((req.body as { items: unknown }).items), view };
  if (mode === 'fastify-sqlite') acceptOne(order);
  if (mode === 'fastify-sqlite-group') await acceptGrouped(order);
  if (mode === 'fastify-postgres-group') await acceptPostgres(order);
  return reply.status(202).header('content-type', 'application/json; charset=utf-8').send(view);
});

const url = await app.listen({ port: Number(process.env.FLOOR_PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ msg: 'floor started', mode, url })}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close().then(async () => {
      await pool?.end();
      db.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}
