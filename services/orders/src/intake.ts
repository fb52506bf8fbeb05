import { createHash } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import type { Static } from 'typebox';
import { appendToOutbox, createCoalescedBatch, currentOutboxHeaders, outboxInsert, uuidv7, type Database, type NewEvent } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import type { PlaceOrderBody } from './http-schemas.ts';
import { toView, type OrderRow } from './repository.ts';
import { saveViews, viewsUpsert } from './read-model.ts';
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

/** What one accepted order writes: its row (and its view), its idempotency record, its OrderPlaced event. */
interface IntakeWrite {
  row: OrderRow;
  idempotency: Insertable<OrdersDb['idempotency_keys']>;
  event: NewEvent<'OrderPlaced'>;
}

/**
 * Writes the orders whose idempotency key is still free, with their records and events: the keys
 * first (`on conflict do nothing`), then only the orders whose key was inserted — three statements
 * whatever the count. Returns, per write, whether it was accepted; a key already taken (a retry, or
 * another instance that won the race) is not an error, its order is simply not written. On
 * PostgreSQL a conflicting insert waits for the transaction that holds the key and skips it once
 * that one commits.
 */
async function writeAccepted(trx: Kysely<OrdersDb>, writes: readonly IntakeWrite[]): Promise<boolean[]> {
  const inserted = await trx
    .insertInto('idempotency_keys')
    .values(writes.map((w) => w.idempotency))
    .onConflict((oc) => oc.columns(['customer_id', 'key']).doNothing())
    .returning(['customer_id', 'key'])
    .execute();
  const fresh = new Set(inserted.map((r) => slotOf(r.customer_id, r.key)));
  const accepted = writes.map((w) => fresh.has(slotOf(w.idempotency.customer_id, w.idempotency.key)));
  const kept = writes.filter((_, i) => accepted[i]);
  if (kept.length > 0) {
    await trx.insertInto('orders').values(kept.map((w) => w.row)).execute();
    await saveViews(trx, kept.map((w) => w.row));
    await appendToOutbox(trx, kept.map((w) => w.event));
  }
  return accepted;
}

const slotOf = (customerId: string, key: string) => `${customerId}\u0000${key}`;

/**
 * The common case, every key new: the keys (a plain insert), the orders, their views and their
 * events as one transaction sent in one go (`writeTogether`: a single round trip on PostgreSQL,
 * where `writeAccepted` needs six). A key already taken fails it with a unique violation and
 * nothing is written; the caller then goes the way that tells taken keys apart.
 */
async function writeAllFresh(db: Database<OrdersDb>, writes: readonly IntakeWrite[]): Promise<void> {
  const k = db.db;
  const rows = writes.map((w) => w.row);
  await db.writeTogether([
    k.insertInto('idempotency_keys').values(writes.map((w) => w.idempotency)).compile(),
    k.insertInto('orders').values(rows).compile(),
    viewsUpsert(k, rows).compile(),
    outboxInsert(k, writes.map((w) => w.event)).insert.compile(),
  ]);
}

/** One order in a transaction of its own; true when its key was free. */
const writeAlone = (db: Database<OrdersDb>, write: IntakeWrite) => db.transaction(async (trx) => (await writeAccepted(trx, [write]))[0]!);

/** One order: sent in one go; if that fails (its key taken, or anything else), written the careful way. */
const writeOne = (db: Database<OrdersDb>, write: IntakeWrite): Promise<boolean> =>
  writeAllFresh(db, [write]).then(
    () => true,
    () => writeAlone(db, write),
  );

/**
 * Group commit: one transaction in flight at a time; the orders that arrive meanwhile share the
 * next one (at most `maxBatch`, see createCoalescedBatch). Alone, an order is written at once, as
 * without batching. A batch is first sent in one go (`writeAllFresh`); if one of its keys is taken
 * it is written again in one transaction that skips that order only (`writeAccepted`); a batch
 * that fails for any other reason is written again one order per transaction, so that one order's
 * failure fails that order alone.
 */
function createGroupCommit(db: Database<OrdersDb>, maxBatch: number): (write: IntakeWrite) => Promise<boolean> {
  return createCoalescedBatch(async (writes: IntakeWrite[]) => {
    try {
      await writeAllFresh(db, writes);
      return writes.map(() => true);
    } catch {
      // a key taken (a retry, another instance's race) or a failure: below
    }
    if (writes.length > 1) {
      try {
        return await db.transaction((trx) => writeAccepted(trx, writes));
      } catch {
        // written again below, one by one
      }
    }
    const out: Array<boolean | Error> = [];
    for (const w of writes) out.push(await writeAlone(db, w).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
    return out;
  }, maxBatch);
}

export interface IntakeOptions {
  /** Orders per intake transaction at most (group commit); 1 (default): one transaction per order. */
  maxBatch?: number;
}

/**
 * Accepts an order: one short transaction writes the order, its OrderPlaced event and the
 * idempotency record together (with `maxBatch` > 1, several orders' share one transaction). Keys
 * are scoped per customer. A key still being processed in this instance answers 409; across
 * instances the primary key on (customer, key) decides. A new key costs no lookup: the insert finds
 * a taken key, and only then is the earlier answer read (a replay, or a 422 for another body).
 */
export function createIntake(db: Database<OrdersDb>, opts: IntakeOptions = {}) {
  const inFlight = new Set<string>();
  const maxBatch = opts.maxBatch ?? 1;
  const commit = maxBatch > 1 ? createGroupCommit(db, maxBatch) : (write: IntakeWrite) => writeOne(db, write);
  const knownSkus = createKnownSkus();

  async function replay(k: Kysely<OrdersDb>, customerId: string, key: string, hash: string): Promise<IntakeResponse | undefined> {
    const prior = await k.selectFrom('idempotency_keys').selectAll().where('customer_id', '=', customerId).where('key', '=', key).executeTakeFirst();
    if (!prior) return undefined;
    if (prior.request_hash !== hash) throw orderErrors.create('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');
    return { statusCode: prior.status_code, body: JSON.parse(prior.response) as unknown, replayed: true };
  }

  return async function placeOrder(customerId: string, key: string, body: PlaceOrderInput): Promise<IntakeResponse> {
    const slot = slotOf(customerId, key);
    if (inFlight.has(slot)) throw orderErrors.create('IDEMPOTENCY_KEY_IN_FLIGHT', 'A request with this Idempotency-Key is still being processed; retry shortly');
    inFlight.add(slot);
    try {
      const hash = fingerprint(body);
      const skus = [...new Set(body.items.map((i) => i.sku))];
      const missing = await knownSkus.missing(db.db, skus);
      if (missing.length > 0) {
        // A retry answers as the first request did, even if its sku were gone since.
        const prior = await replay(db.db, customerId, key, hash);
        if (prior) return prior;
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
      const accepted = await commit({
        row,
        idempotency: { customer_id: customerId, key, request_hash: hash, status_code: 202, response: JSON.stringify(view), created_at: now },
        event: { type: 'OrderPlaced', key: row.id, headers: currentOutboxHeaders(), data: { orderId: row.id, customerId, items: body.items.map((i) => ({ sku: i.sku, quantity: i.quantity })), paymentMethod: body.paymentMethod } },
      });
      if (accepted) return { statusCode: 202, body: view, replayed: false };
      // The key was taken (a retry, or another instance won the race): answer as that request did.
      const prior = await replay(db.db, customerId, key, hash);
      if (prior) return prior;
      throw new Error(`idempotency key of customer ${customerId} was taken, and its record is not there`);
    } finally {
      inFlight.delete(slot);
    }
  };
}

/** Skus the catalog holds, remembered at most this many (a set of short strings: a few MB at most). */
const KNOWN_SKUS_MAX = 100_000;

/**
 * The catalog check without a query per order: a sku once found in the catalog is remembered, since
 * a product is never deleted (inventory has no route that deletes one, and the catalog is only
 * ever upserted from ProductUpserted). A sku not remembered is looked up, so a product added a
 * moment ago is found. Should products ever be deleted, this set must learn of it.
 */
function createKnownSkus() {
  const known = new Set<string>();
  return {
    async missing(k: Kysely<OrdersDb>, skus: readonly string[]): Promise<string[]> {
      const unknown = skus.filter((s) => !known.has(s));
      if (unknown.length === 0) return [];
      const found = new Set((await k.selectFrom('catalog').select('sku').where('sku', 'in', unknown).execute()).map((r) => r.sku));
      for (const s of found) if (known.size < KNOWN_SKUS_MAX) known.add(s);
      return unknown.filter((s) => !found.has(s));
    },
  };
}
