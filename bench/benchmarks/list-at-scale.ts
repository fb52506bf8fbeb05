import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { registerTempDir } from '../lib/cleanup.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { setupFixture, startSystem } from '../lib/system.ts';
import { fmt, ms, table } from '../lib/table.ts';
import { fixture, type Scenario } from '../scenarios.ts';
import type { Benchmark } from './types.ts';

/** Orders in the database the list queries run against. */
export const LIST_ORDERS = 1_000_000;
const CUSTOMERS = 10_000;
const LIST_CONNECTIONS = 8;

interface Shape { readonly name: string; readonly path: string; readonly admin: boolean }
export interface ListResult {
  readonly scenario: Scenario;
  readonly orders: number;
  readonly loadS: number;
  readonly shapes: ReadonlyArray<{ readonly shape: Shape; readonly load: LoadResult; readonly items: number }>;
}

/**
 * Fills orders.db with LIST_ORDERS orders (write model and read model) in two INSERT … SELECT over a
 * recursive CTE: 10,000 customers, and the bench customer owning every 97th order; 90 % confirmed,
 * 9 % cancelled, 1 % pending; UUIDv7-shaped ids in time order. None awaits payment: months-old
 * orders in that state would set the payment-deadline sweep cancelling them during the measurement.
 */
function fill(file: string, benchCustomer: string): number {
  const t0 = Date.now();
  const db = new SQLite(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const rows = `with recursive g(n) as (select 1 union all select n + 1 from g where n < ${LIST_ORDERS})
      select printf('01900000-0000-7000-8000-%012x', n) as id,
             case when n % 97 = 0 then @bench else 'c-' || (n % ${CUSTOMERS}) end as customer_id,
             case when n % 100 < 90 then 'confirmed' when n % 100 < 99 then 'cancelled' else 'pending' end as status,
             strftime('%Y-%m-%dT%H:%M:%fZ', 1767225600 + n, 'unixepoch') as at
      from g`;
    db.exec('begin');
    db.exec(`insert into customers (id, email, name, created_at)
      with recursive c(n) as (select 0 union all select n + 1 from c where n < ${CUSTOMERS - 1})
      select 'c-' || n, 'c' || n || '@bench.example', 'Customer ' || n, '2026-01-01T00:00:00.000Z' from c`);
    db.prepare(
      `insert into orders (id, customer_id, status, cancellation_reason, items, priced_lines, total_cents, currency, payment_method, payment_intent_id, created_at, updated_at)
       select id, customer_id, status, null, '[{"sku":"bench-sku","quantity":1}]', '[{"sku":"bench-sku","quantity":1,"unitPriceCents":1000}]', 1000, 'eur', 'pm_card_visa', null, at, at from (${rows})`,
    ).run({ bench: benchCustomer });
    db.prepare(
      `insert into order_views (id, customer_id, status, view, updated_at)
       select id, customer_id, status, json_object('id', id, 'customerId', customer_id, 'status', status, 'items', json('[{"sku":"bench-sku","quantity":1,"unitPriceCents":1000}]'),
              'totalCents', 1000, 'currency', 'eur', 'paymentMethod', 'pm_card_visa', 'createdAt', at, 'updatedAt', at), at from (${rows})`,
    ).run({ bench: benchCustomer });
    db.exec('commit');
    db.exec('analyze');
  } finally {
    db.close();
  }
  return (Date.now() - t0) / 1000;
}

export const listAtScale: Benchmark<ListResult> = {
  name: 'list-1m',
  description: `GET /v1/orders latency (customer, status, cursor; admin) with ${LIST_ORDERS.toLocaleString('en')} orders in the read model`,

  async run(ctx) {
    const s = ctx.scenario;
    const dataDir = await mkdtemp(join(tmpdir(), 'orderflow-bench-list-'));
    const removeDir = registerTempDir(dataDir);
    try {
      let system = await startSystem({ dataDir });
      const fx = await setupFixture(system.url);
      const own = (await (await fetch(new URL('/v1/orders?limit=1', system.url), { headers: { authorization: `Bearer ${fx.apiKey}` } })).json()) as { items: Array<{ customerId: string }> };
      await system.stop();
      ctx.log(`list-1m: loading ${LIST_ORDERS.toLocaleString('en')} orders into orders.db`);
      const loadS = fill(join(dataDir, 'orders.db'), own.items[0]!.customerId);
      system = await startSystem({ dataDir });
      try {
        const mid = `01900000-0000-7000-8000-${(LIST_ORDERS / 2).toString(16).padStart(12, '0')}`;
        const shapes: Shape[] = [
          { name: 'customer: newest 20', path: '/v1/orders?limit=20', admin: false },
          { name: 'customer: status=cancelled, 20', path: '/v1/orders?status=cancelled&limit=20', admin: false },
          { name: 'customer: page from the middle', path: `/v1/orders?limit=20&cursor=${mid}`, admin: false },
          { name: 'admin: newest 20', path: '/v1/orders?limit=20', admin: true },
          { name: 'admin: status=pending, 20', path: '/v1/orders?status=pending&limit=20', admin: true },
          { name: 'admin: status=pending from the middle', path: `/v1/orders?status=pending&limit=20&cursor=${mid}`, admin: true },
        ];
        const out: Array<ListResult['shapes'][number]> = [];
        for (const shape of shapes) {
          const headers = { authorization: `Bearer ${shape.admin ? fixture.adminKey : fx.apiKey}` };
          const res = await fetch(new URL(shape.path, system.url), { headers });
          const probe = (await res.json()) as { items?: unknown[] };
          if (res.status !== 200 || !probe.items) throw new Error(`${shape.name}: ${res.status} ${JSON.stringify(probe)}`);
          const measure = (durationS: number) => runLoad({ url: system.url, path: shape.path, method: 'GET', connections: LIST_CONNECTIONS, durationS, headers, okStatus: 200 });
          if (s.warmupS > 0) await measure(s.warmupS);
          ctx.log(`  ${shape.name}: ${s.durationS} s`);
          const load = await measure(s.durationS);
          out.push({ shape, load, items: probe.items.length });
        }
        return { scenario: s, orders: LIST_ORDERS, loadS, shapes: out };
      } finally {
        await system.stop();
      }
    } finally {
      await removeDir();
    }
  },

  report(r) {
    return [
      `list-1m: GET /v1/orders against ${fmt(r.orders)} orders (embedded, SQLite read model; loaded in ${fmt(r.loadS, 1)} s), ${LIST_CONNECTIONS} connections, ${r.scenario.durationS} s per query`,
      '',
      table(
        ['query', 'items', '200/s', 'p50 ms', 'p99 ms', 'non-2xx'],
        r.shapes.map((x) => [x.shape.name, String(x.items), fmt(x.load.okPerS), ms(x.load.latencyMs.p50), ms(x.load.latencyMs.p99), fmt(x.load.non2xx)]),
      ),
    ].join('\n');
  },
};
