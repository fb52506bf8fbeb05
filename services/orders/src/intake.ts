import { createHash } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import type { Static } from 'typebox';
import { appendToOutbox, currentOutboxHeaders, uuidv7, type Database, type NewEvent } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import type { PlaceOrderBody } from './http-schemas.ts';
import { toView } from './repository.ts';
import { orderErrors } from './errors.ts';

export type PlaceOrderInput = Static<typeof PlaceOrderBody>;

export interface IntakeResponse {
  statusCode: number;
  body: unknown;
  replayed: boolean;
}

/** Idempotency keys: 1 to 255 printable ASCII characters. */
export function checkIdempotencyKey(raw: unknown): string {
  if (raw === undefined || raw === '') throw orderErrors.create('IDEMPOTENCY_KEY_MISSING', 'Send an Idempotency-Key header (1 to 255 characters) with every POST /v1/orders');
  if (typeof raw !== 'string' || raw.length > 255 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw orderErrors.create('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces');
  }
  return raw;
}

/** The request's fingerprint: same key + same fingerprint replays, another fingerprint is a 422. */
export function fingerprint(body: PlaceOrderInput): string {
  const canonical = JSON.stringify({ items: body.items.map((i) => [i.sku, i.quantity]), paymentMethod: body.paymentMethod });
  return createHash('sha256').update(canonical).digest('hex');
}

/** What one accepted order writes: its row, its idempotency record, its OrderPlaced event. */
interface IntakeWrite {
  row: Insertable<OrdersDb['orders']>;
  idempotency: Insertable<OrdersDb['idempotency_keys']>;
  event: NewEvent<'OrderPlaced'>;
}

/** Writes the orders, their idempotency records and their events: three statements whatever the count. */
async function writeAccepted(trx: Kysely<OrdersDb>, writes: readonly IntakeWrite[]): Promise<void> {
  await trx.insertInto('orders').values(writes.map((w) => w.row)).execute();
  await trx.insertInto('idempotency_keys').values(writes.map((w) => w.idempotency)).execute();
  await appendToOutbox(trx, writes.map((w) => w.event));
}

interface Waiting {
  write: IntakeWrite;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: one transaction in flight at a time; the orders that arrive meanwhile share the
 * next one (at most `maxBatch`). Alone, an order is written at once, as without batching. A batch
 * that fails (another instance took one of its keys) is written again one order per transaction,
 * so one order's conflict fails that order alone.
 */
function createGroupCommit(db: Database<OrdersDb>, maxBatch: number) {
  const queue: Waiting[] = [];
  let running = false;

  const writeOne = (w: Waiting) =>
    db.transaction((trx) => writeAccepted(trx, [w.write])).then(w.resolve, w.reject);

  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        if (batch.length === 1) {
          await writeOne(batch[0]!);
          continue;
        }
        try {
          await db.transaction((trx) => writeAccepted(trx, batch.map((w) => w.write)));
        } catch {
          for (const w of batch) await writeOne(w);
          continue;
        }
        for (const w of batch) w.resolve();
      }
    } finally {
      running = false;
    }
  }

  return function commit(write: IntakeWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      queue.push({ write, resolve, reject });
      if (!running) void drain();
    });
  };
}

export interface IntakeOptions {
  /** Orders per intake transaction at most (group commit); 1 (default): one transaction per order. */
  maxBatch?: number;
}

/**
 * Accepts an order: one short transaction writes the order, its OrderPlaced event and the
 * idempotency record together (with `maxBatch` > 1, several orders' share one transaction). Keys
 * are scoped per customer. A key still being processed in this instance answers 409; across
 * instances the primary key on (customer, key) decides.
 */
export function createIntake(db: Database<OrdersDb>, opts: IntakeOptions = {}) {
  const inFlight = new Set<string>();
  const maxBatch = opts.maxBatch ?? 1;
  const commit = maxBatch > 1 ? createGroupCommit(db, maxBatch) : (write: IntakeWrite) => db.transaction((trx) => writeAccepted(trx, [write]));

  async function replay(k: Kysely<OrdersDb>, customerId: string, key: string, hash: string): Promise<IntakeResponse | undefined> {
    const prior = await k.selectFrom('idempotency_keys').selectAll().where('customer_id', '=', customerId).where('key', '=', key).executeTakeFirst();
    if (!prior) return undefined;
    if (prior.request_hash !== hash) throw orderErrors.create('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');
    return { statusCode: prior.status_code, body: JSON.parse(prior.response) as unknown, replayed: true };
  }

  return async function placeOrder(customerId: string, key: string, body: PlaceOrderInput): Promise<IntakeResponse> {
    const slot = `${customerId}\u0000${key}`;
    if (inFlight.has(slot)) throw orderErrors.create('IDEMPOTENCY_KEY_IN_FLIGHT', 'A request with this Idempotency-Key is still being processed; retry shortly');
    inFlight.add(slot);
    try {
      const hash = fingerprint(body);
      const prior = await replay(db.db, customerId, key, hash);
      if (prior) return prior;
      const skus = [...new Set(body.items.map((i) => i.sku))];
      const known = await db.db.selectFrom('catalog').select('sku').where('sku', 'in', skus).execute();
      if (known.length !== skus.length) {
        const have = new Set(known.map((r) => r.sku));
        const missing = skus.filter((s) => !have.has(s));
        throw orderErrors.create('ORDER_UNKNOWN_SKU', `Unknown sku: ${missing.join(', ')}`, { extensions: { skus: missing } });
      }
      const now = new Date().toISOString();
      const row = {
        id: uuidv7(),
        customer_id: customerId,
        status: 'pending',
        cancellation_reason: null,
        items: JSON.stringify(body.items.map((i) => ({ sku: i.sku, quantity: i.quantity }))),
        priced_lines: null,
        total_cents: null,
        currency: null,
        payment_method: body.paymentMethod,
        payment_intent_id: null,
        created_at: now,
        updated_at: now,
      };
      const view = toView(row);
      try {
        await commit({
          row,
          idempotency: { customer_id: customerId, key, request_hash: hash, status_code: 202, response: JSON.stringify(view), created_at: now },
          event: { type: 'OrderPlaced', key: row.id, headers: currentOutboxHeaders(), data: { orderId: row.id, customerId, items: body.items.map((i) => ({ sku: i.sku, quantity: i.quantity })), paymentMethod: body.paymentMethod } },
        });
      } catch (error) {
        // Another instance won the race for this key: answer as it did.
        const other = await replay(db.db, customerId, key, hash);
        if (other) return other;
        throw error;
      }
      return { statusCode: 202, body: view, replayed: false };
    } finally {
      inFlight.delete(slot);
    }
  };
}
