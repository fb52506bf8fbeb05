/**
 * Query cost: runs the real system (all four services, distributed mode, in this process) through
 * every route and the whole saga while recording each SQL statement the services send, then loads
 * realistic volumes (ORDERFLOW_QUERY_COST_ORDERS, default 1,000,000 orders) and EXPLAINs every
 * recorded statement with its recorded parameters. A sequential scan of a large table fails.
 *
 * `npm run test:query-cost` (a few minutes; not part of `npm test`). Needs PostgreSQL and NATS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { serviceDatabaseUrl, type Runtime } from '@orderflow/platform';
import { PG_ADMIN_URL, until } from '../support/distributed.ts';
import { startInProcessSystem, type InProcessSystem } from '../support/in-process-system.ts';
import { apiClient, placeWhenOrderable, waitForStatus } from '../e2e/support/client.ts';
import { loadRealisticData } from './load-data.ts';

const ORDERS = Number(process.env.ORDERFLOW_QUERY_COST_ORDERS ?? 1_000_000);
/** Tables with more rows than this must never be scanned sequentially. */
const LARGE = 10_000;
const SERVICES = ['orders', 'inventory', 'payments', 'notifications'];

interface Recorded { database: string; sql: string; values: unknown[] }
const recorded = new Map<string, Recorded>();
const originalQuery = pg.Client.prototype.query;

/** Records every statement the system's pg clients send to databases named `<ns>_…` (they still run unchanged). */
function recordQueries(ns: string): void {
  (pg.Client.prototype as { query: unknown }).query = function (this: pg.Client & { database?: string }, ...args: unknown[]) {
    const [q, values] = args as [string | { text?: string; values?: unknown[] }, unknown];
    const text = typeof q === 'string' ? q : q?.text;
    if (text && this.database?.startsWith(ns) && /^\s*(select|insert|update|delete|with)\b/i.test(text) && !/_migrations|pg_advisory/.test(text)) {
      const key = `${this.database}\u0000${text}`;
      if (!recorded.has(key)) recorded.set(key, { database: this.database, sql: text, values: Array.isArray(values) ? values : (typeof q === 'object' && q?.values) || [] });
    }
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  };
}

let sys: InProcessSystem;
let ns = '';

before(async () => {
  // The namespace is known only once the system starts; record everything of the form of_p…_ until then.
  recordQueries('of_p');
  sys = await startInProcessSystem({ ORDERFLOW_PAYMENT_SWEEP_MS: '100' });
  ns = sys.ns;
});

after(async () => {
  (pg.Client.prototype as { query: unknown }).query = originalQuery;
  await sys?.cleanup();
});

/** Every route and every saga path, so each statement the services send is recorded. */
async function exercise(rt: Runtime): Promise<void> {
  const api = apiClient(rt.url);
  const admin = rt.adminKey;
  const ann = await api.createCustomer(admin);
  const bob = await api.createCustomer(admin);
  await api.putProduct(admin, 'tea', { priceCents: 450, stock: 100 });
  await api.putProduct(admin, 'tea', { priceCents: 450, stock: 100 }); // replace
  await api.putProduct(admin, 'rare', { priceCents: 100, stock: 1 });
  const body = (sku: string, pm = 'pm_card_visa', quantity = 1) => ({ items: [{ sku, quantity }], paymentMethod: pm });
  const confirmed = (await placeWhenOrderable(api, ann.apiKey, body('tea'), 'k-1')).body.id as string;
  await api.placeOrder(ann.apiKey, body('tea'), 'k-1'); // replay
  const declined = (await placeWhenOrderable(api, ann.apiKey, body('tea', 'pm_card_chargeDeclined'))).body.id as string;
  const oos = (await placeWhenOrderable(api, ann.apiKey, body('rare', 'pm_card_visa', 5))).body.id as string;
  await api.placeOrder(ann.apiKey, body('nope'));
  for (const id of [confirmed, declined, oos]) await waitForStatus(api, ann.apiKey, id, ['confirmed', 'cancelled']);
  await until(async () => (await api.listOrders(ann.apiKey, '?status=confirmed')).body.items.length === 1, 10_000, 'read model');
  await new Promise((r) => setTimeout(r, 10_500)); // past the read-your-writes window: reads go to the read model
  await api.getOrder(ann.apiKey, confirmed);
  await api.getOrder(bob.apiKey, confirmed);
  await api.getOrder(admin, confirmed);
  const page = await api.listOrders(ann.apiKey, '?limit=1');
  await api.listOrders(ann.apiKey, `?limit=1&cursor=${page.body.nextCursor}`);
  await api.listOrders(ann.apiKey, '?status=cancelled&limit=5');
  await api.listOrders(ann.apiKey, `?status=cancelled&cursor=${page.body.nextCursor}`);
  await api.listOrders(admin, '?limit=5');
  await api.listOrders(admin, '?status=confirmed');
  await api.listOrders(admin, `?status=confirmed&cursor=${page.body.nextCursor}`);
  await api.getProduct('tea');
  await api.getProduct('none');
  await api.cancelOrder(ann.apiKey, confirmed);
  await api.cancelOrder(ann.apiKey, confirmed); // not cancellable
  await waitForStatus(api, ann.apiKey, confirmed, ['cancelled']);
  // Right after a write: the write model answers (read-your-writes).
  await api.getOrder(ann.apiKey, confirmed);
  await api.listOrders(ann.apiKey, '?status=cancelled');
  await api.listOrders(ann.apiKey, `?cursor=${page.body.nextCursor}`);
  const key = await api.call('POST', `/v1/customers/${bob.id}/keys`, { key: admin });
  await api.call('GET', `/v1/customers/${bob.id}/keys`, { key: admin });
  await api.call('POST', `/v1/keys/${key.body.id}/revoke`, { key: admin });
  await new Promise((r) => setTimeout(r, 1_500)); // refunds, mails, the deadline sweep
}

interface PlanNode { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] }
const scans = (n: PlanNode): PlanNode[] => [...(n['Node Type'] === 'Seq Scan' ? [n] : []), ...(n.Plans ?? []).flatMap(scans)];

test(`no statement the services send scans a large table sequentially (${ORDERS.toLocaleString('en')} orders)`, { timeout: 15 * 60_000 }, async () => {
  await exercise(sys.runtime);
  await sys.stop();
  (pg.Client.prototype as { query: unknown }).query = originalQuery;
  for (const [k, r] of recorded) if (!r.database.startsWith(`${ns}_`)) recorded.delete(k); // another run's, if any
  const urlOf = (service: string) => serviceDatabaseUrl(PG_ADMIN_URL, { database: `${ns}_${service}`, role: 'postgres' });
  const t0 = Date.now();
  await loadRealisticData(urlOf, ORDERS);
  const loadS = (Date.now() - t0) / 1000;

  const byDb = new Map<string, Recorded[]>();
  for (const r of recorded.values()) byDb.set(r.database, [...(byDb.get(r.database) ?? []), r]);
  assert.deepEqual([...byDb.keys()].sort(), SERVICES.map((s) => `${ns}_${s}`).sort(), 'statements from every service');
  const failures: string[] = [];
  const report: string[] = [];
  for (const [database, statements] of byDb) {
    const c = new pg.Client({ connectionString: serviceDatabaseUrl(PG_ADMIN_URL, { database, role: 'postgres' }) });
    await c.connect();
    try {
      const sizes = new Map((await c.query<{ relname: string; n: number }>("select relname, reltuples::bigint as n from pg_class where relkind = 'r'")).rows.map((r) => [r.relname, Number(r.n)]));
      if (database.endsWith('_orders')) {
        // The check itself: a filter no index serves must be caught.
        const probe = (await c.query("explain (format json) select * from orders where payment_method = 'pm_x'")).rows[0]['QUERY PLAN'][0].Plan as PlanNode;
        assert.equal(scans(probe)[0]?.['Relation Name'], 'orders', 'an unindexed filter shows as a sequential scan');
      }
      for (const s of statements) {
        const plan = (await c.query(`explain (format json) ${s.sql}`, s.values)).rows[0]['QUERY PLAN'][0].Plan as PlanNode;
        const bad = scans(plan).filter((n) => (sizes.get(n['Relation Name'] ?? '') ?? 0) > LARGE);
        const line = `${database.slice(ns.length + 1)}: ${s.sql.replace(/\s+/g, ' ').slice(0, 140)}`;
        report.push(`${bad.length ? 'SEQ SCAN' : 'ok      '} ${line}`);
        if (bad.length) failures.push(`${line}\n  seq scan of ${bad.map((b) => `${b['Relation Name']} (${sizes.get(b['Relation Name']!)} rows)`).join(', ')}`);
      }
    } finally {
      await c.end();
    }
  }
  console.log(`query cost: ${recorded.size} distinct statements, data loaded in ${loadS.toFixed(1)} s\n${report.join('\n')}`);
  assert.ok(recorded.size > 30, `saw ${recorded.size} statements`);
  assert.deepEqual(failures, []);
});
