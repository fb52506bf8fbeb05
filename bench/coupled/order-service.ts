/**
 * The anti-pattern orderflow is built against, kept as a baseline: an OrderService that does
 * everything inside the request. It reserves stock (a direct call into the inventory module),
 * charges the card at the payment provider and sends the confirmation mail, one after the other,
 * and answers only when all three are done. No outbox, no broker, no timeout, no breaker, no
 * idempotency key: when the provider is slow, every request is slow, and every connection and
 * worker waits with it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Sqlite from 'better-sqlite3';
import { createTransport } from 'nodemailer';

export interface CoupledDeps {
  /** SQLite file holding products and orders (one database: the coupled design shares it). */
  readonly dbFile: string;
  /** Stripe-compatible provider base URL (the provider simulator). */
  readonly paymentUrl: string;
  /** smtp://host:port */
  readonly smtpUrl: string;
}

export interface CoupledService {
  readonly server: Server;
  close(): Promise<void>;
}

/** Inventory as a module the order service calls directly: one UPDATE guarded by the stock. */
function createInventory(db: Sqlite.Database) {
  const reserve = db.prepare('UPDATE products SET stock = stock - ? WHERE sku = ? AND stock >= ?');
  const release = db.prepare('UPDATE products SET stock = stock + ? WHERE sku = ?');
  const price = db.prepare<[string], { price_cents: number; currency: string }>('SELECT price_cents, currency FROM products WHERE sku = ?');
  return {
    reserve: (sku: string, qty: number): boolean => reserve.run(qty, sku, qty).changes === 1,
    release: (sku: string, qty: number): void => void release.run(qty, sku),
    price: (sku: string) => price.get(sku),
  };
}

/** Creates the service with its schema and one product (`bench-sku`, stock for any run). */
export function createCoupledOrderService(deps: CoupledDeps): CoupledService {
  const db = new Sqlite(deps.dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS products (sku TEXT PRIMARY KEY, price_cents INTEGER NOT NULL, currency TEXT NOT NULL, stock INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, sku TEXT NOT NULL, quantity INTEGER NOT NULL, status TEXT NOT NULL, payment_id TEXT, created_at TEXT NOT NULL);
    INSERT OR IGNORE INTO products VALUES ('bench-sku', 1000, 'eur', 1000000000);`);
  const inventory = createInventory(db);
  const insertOrder = db.prepare('INSERT INTO orders (id, sku, quantity, status, created_at) VALUES (?, ?, ?, ?, ?)');
  const setStatus = db.prepare('UPDATE orders SET status = ?, payment_id = ? WHERE id = ?');
  const mailer = createTransport(`${deps.smtpUrl}?pool=true&maxConnections=5`);

  const place = async (body: { items?: Array<{ sku?: string; quantity?: number }>; paymentMethod?: string }): Promise<[number, unknown]> => {
    const item = body.items?.[0];
    if (!item?.sku || !Number.isInteger(item.quantity) || !body.paymentMethod) return [400, { error: 'bad order' }];
    const product = inventory.price(item.sku);
    if (!product) return [422, { error: 'unknown sku' }];
    if (!inventory.reserve(item.sku, item.quantity!)) return [409, { error: 'out of stock' }];
    const id = randomUUID();
    insertOrder.run(id, item.sku, item.quantity, 'pending', new Date().toISOString());
    // The payment call, inside the request, with no deadline.
    const res = await fetch(`${deps.paymentUrl}/v1/payment_intents`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ amount: String(product.price_cents * item.quantity!), currency: product.currency, payment_method: body.paymentMethod, confirm: 'true', 'metadata[order_id]': id }),
    });
    const intent = (await res.json()) as { id?: string; status?: string };
    if (res.status !== 200 || intent.status !== 'succeeded') {
      inventory.release(item.sku, item.quantity!);
      setStatus.run('cancelled', null, id);
      return [402, { id, status: 'cancelled' }];
    }
    setStatus.run('confirmed', intent.id ?? null, id);
    // The mail, inside the request too.
    await mailer.sendMail({ from: 'shop@example.com', to: 'customer@example.com', subject: `Order ${id} confirmed`, text: `Your order ${id} is confirmed.` });
    return [201, { id, status: 'confirmed' }];
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, payload: unknown) => {
        const text = JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.method !== 'POST' || req.url !== '/v1/orders') return reply(404, { error: 'not found' });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: 'bad json' });
      }
      place(body as Parameters<typeof place>[0]).then(
        ([status, payload]) => reply(status, payload),
        (err: unknown) => reply(500, { error: String(err) }),
      );
    });
  });
  return {
    server,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      mailer.close();
      db.close();
    },
  };
}
