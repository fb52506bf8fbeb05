import Database from 'better-sqlite3';

export interface PaymentIntentRow {
  id: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  orderId: string | null;
  metadata: Record<string, string>;
  amountRefunded: number;
  created: number;
}

export interface RefundRow {
  id: string;
  paymentIntent: string;
  amount: number;
  currency: string;
  created: number;
}

/** The first answer given under an idempotency key, kept verbatim for replay. */
export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  status: number;
  body: string;
}

export interface SimulatorStore {
  transaction<T>(fn: () => T): T;
  getIdempotency(key: string): IdempotencyRecord | undefined;
  putIdempotency(rec: IdempotencyRecord): void;
  insertPaymentIntent(row: PaymentIntentRow): void;
  getPaymentIntent(id: string): PaymentIntentRow | undefined;
  listPaymentIntents(filter: { orderId?: string; limit: number }): PaymentIntentRow[];
  addRefund(row: RefundRow): void;
  getRefund(id: string): RefundRow | undefined;
  listRefunds(filter: { paymentIntent?: string; limit: number }): RefundRow[];
  counts(): { paymentIntents: number; refunds: number; idempotencyKeys: number };
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS payment_intents (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  payment_method TEXT NOT NULL,
  order_id TEXT,
  metadata TEXT NOT NULL,
  amount_refunded INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payment_intents_order_id ON payment_intents(order_id);
CREATE TABLE IF NOT EXISTS refunds (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  payment_intent TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_payment_intent ON refunds(payment_intent);
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL
);
`;

interface PiDbRow {
  id: string;
  amount: number;
  currency: string;
  payment_method: string;
  order_id: string | null;
  metadata: string;
  amount_refunded: number;
  created: number;
}

interface RefundDbRow {
  id: string;
  payment_intent: string;
  amount: number;
  currency: string;
  created: number;
}

function toPi(r: PiDbRow): PaymentIntentRow {
  return {
    id: r.id,
    amount: r.amount,
    currency: r.currency,
    paymentMethod: r.payment_method,
    orderId: r.order_id,
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    amountRefunded: r.amount_refunded,
    created: r.created,
  };
}

function toRefund(r: RefundDbRow): RefundRow {
  return { id: r.id, paymentIntent: r.payment_intent, amount: r.amount, currency: r.currency, created: r.created };
}

/**
 * Opens the simulator's state: a SQLite file at `dataFile` (created if missing, so state
 * survives a restart like a real provider's), or an in-memory database when omitted.
 * One simulator process per file.
 * @throws the better-sqlite3 error when the file cannot be opened.
 */
export function openSimulatorStore(dataFile?: string): SimulatorStore {
  const db = new Database(dataFile ?? ':memory:');
  if (dataFile) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.exec(SCHEMA);

  const q = {
    getIdem: db.prepare<[string], IdempotencyRecord>('SELECT key, fingerprint, status, body FROM idempotency WHERE key = ?'),
    putIdem: db.prepare('INSERT INTO idempotency (key, fingerprint, status, body) VALUES (@key, @fingerprint, @status, @body)'),
    insertPi: db.prepare(
      `INSERT INTO payment_intents (id, amount, currency, payment_method, order_id, metadata, amount_refunded, created)
       VALUES (@id, @amount, @currency, @paymentMethod, @orderId, @metadata, @amountRefunded, @created)`,
    ),
    getPi: db.prepare<[string], PiDbRow>('SELECT * FROM payment_intents WHERE id = ?'),
    listPi: db.prepare<[number], PiDbRow>('SELECT * FROM payment_intents ORDER BY seq LIMIT ?'),
    listPiByOrder: db.prepare<[string, number], PiDbRow>('SELECT * FROM payment_intents WHERE order_id = ? ORDER BY seq LIMIT ?'),
    addRefunded: db.prepare<[number, string]>('UPDATE payment_intents SET amount_refunded = amount_refunded + ? WHERE id = ?'),
    insertRefund: db.prepare(
      'INSERT INTO refunds (id, payment_intent, amount, currency, created) VALUES (@id, @paymentIntent, @amount, @currency, @created)',
    ),
    getRefund: db.prepare<[string], RefundDbRow>('SELECT * FROM refunds WHERE id = ?'),
    listRefunds: db.prepare<[number], RefundDbRow>('SELECT * FROM refunds ORDER BY seq LIMIT ?'),
    listRefundsByPi: db.prepare<[string, number], RefundDbRow>('SELECT * FROM refunds WHERE payment_intent = ? ORDER BY seq LIMIT ?'),
    counts: db.prepare<[], { paymentIntents: number; refunds: number; idempotencyKeys: number }>(
      `SELECT (SELECT count(*) FROM payment_intents) AS paymentIntents,
              (SELECT count(*) FROM refunds) AS refunds,
              (SELECT count(*) FROM idempotency) AS idempotencyKeys`,
    ),
  };

  return {
    transaction: (fn) => db.transaction(fn)(),
    getIdempotency: (key) => q.getIdem.get(key),
    putIdempotency: (rec) => void q.putIdem.run(rec),
    insertPaymentIntent: (row) => void q.insertPi.run({ ...row, metadata: JSON.stringify(row.metadata) }),
    getPaymentIntent: (id) => {
      const r = q.getPi.get(id);
      return r && toPi(r);
    },
    listPaymentIntents: ({ orderId, limit }) =>
      (orderId === undefined ? q.listPi.all(limit) : q.listPiByOrder.all(orderId, limit)).map(toPi),
    addRefund: (row) => {
      q.insertRefund.run(row);
      q.addRefunded.run(row.amount, row.paymentIntent);
    },
    getRefund: (id) => {
      const r = q.getRefund.get(id);
      return r && toRefund(r);
    },
    listRefunds: ({ paymentIntent, limit }) =>
      (paymentIntent === undefined ? q.listRefunds.all(limit) : q.listRefundsByPi.all(paymentIntent, limit)).map(toRefund),
    counts: () => q.counts.get()!,
    close: () => db.close(),
  };
}
