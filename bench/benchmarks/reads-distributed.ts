import { randomUUID } from 'node:crypto';
import { startSystem, tempDataDir } from '../../test/e2e/support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus } from '../../test/e2e/support/client.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { onOffRuns, type OnOffRun } from '../lib/on-off-runs.ts';
import { median, ratio } from '../lib/stats.ts';
import { fmt, ms, ratioText, table } from '../lib/table.ts';
import type { Scenario } from '../scenarios.ts';
import type { Benchmark, BenchContext } from './types.ts';

const ORDERS = 100;

interface Side { readonly load: LoadResult; readonly hitRatio: number }
export type ReadsDistributedRun = OnOffRun<Side>;
export interface ReadsDistributedResult {
  readonly scenario: Scenario;
  readonly runs: readonly ReadsDistributedRun[];
  readonly median: { readonly on: number; readonly off: number; readonly gain: number; readonly p99On: number; readonly p99Off: number; readonly hitRatio: number };
}

/** One orders instance (PostgreSQL, Redis) in a one-instance cluster, read directly on its own port. */
async function side(ctx: BenchContext, cache: 'on' | 'off'): Promise<Side> {
  const s = ctx.scenario;
  const data = tempDataDir('cluster');
  const sys = await startSystem({ mode: 'cluster', dataDir: data.dir, env: { ORDERFLOW_CACHE: cache, ORDERFLOW_CLUSTER_INSTANCES: '1', ORDERFLOW_RATE_LIMIT_PER_KEY: '0', ORDERFLOW_READ_YOUR_WRITES_MS: '500' } });
  try {
    const api = apiClient(sys.url);
    const customer = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'bench-sku', { priceCents: 1000, stock: 1_000_000 });
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i++) ids.push((await placeWhenOrderable(api, customer.apiKey, { items: [{ sku: 'bench-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' }, randomUUID(), 30_000)).body.id);
    for (const id of ids) await waitForStatus(api, customer.apiKey, id, ['confirmed'], 60_000);
    await new Promise((r) => setTimeout(r, 600)); // past the read-your-writes window
    const orders = sys.instances.find((i) => i.id.startsWith('orders'));
    if (!orders) throw new Error('no orders instance in the cluster');
    const url = `http://127.0.0.1:${orders.port}`;
    const counts = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const read = (name: string) => Number(new RegExp(`^${name}\\{cache="orders"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return { hits: read('orderflow_cache_hits_total'), misses: read('orderflow_cache_misses_total') };
    };
    const paths = ids.map((id) => `/v1/orders/${id}`);
    const read = (durationS: number) => runLoad({ url, path: paths[0]!, paths, method: 'GET', connections: s.connections, durationS, headers: { authorization: `Bearer ${customer.apiKey}` }, okStatus: 200 });
    if (s.warmupS > 0) await read(s.warmupS);
    ctx.log(`  cache ${cache}: ${s.durationS} s against orders-1 (PostgreSQL${cache === 'on' ? ', Redis + local tier' : ''})`);
    const before = await counts();
    const load = await read(s.durationS);
    const after = await counts();
    const hits = after.hits - before.hits;
    return { load, hitRatio: ratio(hits, hits + (after.misses - before.misses)) || 0 };
  } finally {
    await sys.stop();
    await data.cleanup();
  }
}

export const readsDistributed: Benchmark<ReadsDistributedResult> = {
  name: 'reads-distributed',
  description: `distributed mode: GET /v1/orders/{id} on one orders instance (${ORDERS} orders in turn), cache (Redis + local tier) on vs off`,

  async run(ctx) {
    const runs = await onOffRuns(ctx, 'reads-distributed', (cache) => side(ctx, cache));
    const m = (f: (r: ReadsDistributedRun) => number) => median(runs.map(f));
    return {
      scenario: ctx.scenario,
      runs,
      median: {
        on: m((r) => r.on.load.okPerS),
        off: m((r) => r.off.load.okPerS),
        gain: m((r) => ratio(r.on.load.okPerS, r.off.load.okPerS)),
        p99On: m((r) => r.on.load.latencyMs.p99),
        p99Off: m((r) => r.off.load.latencyMs.p99),
        hitRatio: m((r) => r.on.hitRatio),
      },
    };
  },

  report(r) {
    const row = (run: string, cache: string, x: Side) => [run, cache, fmt(x.load.okPerS), ms(x.load.latencyMs.p50), ms(x.load.latencyMs.p99), `${fmt(x.hitRatio * 100, 1)}%`, fmt(x.load.non2xx + x.load.errors)];
    return [
      `reads-distributed: GET /v1/orders/{id} on one orders instance, ${r.scenario.connections} connections, ${r.scenario.durationS} s, cache on vs off, ${r.runs.length} run(s)`,
      '',
      table(['run', 'cache', '200/s', 'p50 ms', 'p99 ms', 'hits', 'non-2xx+err'], r.runs.flatMap((x) => [row(String(x.run), 'on', x.on), row(String(x.run), 'off', x.off)])),
      '',
      `median: ${fmt(r.median.on)}/s with the cache vs ${fmt(r.median.off)}/s without = ${ratioText(r.median.gain)}x (same-run ratios); p99 ${ms(r.median.p99On)} vs ${ms(r.median.p99Off)} ms; hit ratio ${fmt(r.median.hitRatio * 100, 1)}%`,
    ].join('\n');
  },
};
