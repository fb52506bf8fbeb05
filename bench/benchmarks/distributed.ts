import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { orderBody, type Scenario } from '../scenarios.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { openSession, ordersLoad } from '../lib/orders-load.ts';
import { ratio } from '../lib/stats.ts';
import { fmt, ms, ratioText, table } from '../lib/table.ts';
import { startSystem, tempDataDir } from '../../test/e2e/support/system.ts';
import { apiClient, placeWhenOrderable } from '../../test/e2e/support/client.ts';
import { NATS_URL, PG_ADMIN_URL } from '../../test/support/distributed.ts';
import type { Benchmark, BenchContext } from './types.ts';

export interface DistributedRun {
  readonly okPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  readonly statusCounts: Readonly<Record<string, number>>;
}

export type DistributedResult =
  | { readonly skipped: string }
  | {
      readonly scenario: Scenario;
      readonly embedded: DistributedRun;
      readonly distributed: DistributedRun;
      /** distributed / embedded accepted orders per second, same load, same minute. */
      readonly ratio: number;
      readonly instances: number;
    };

const figures = (l: LoadResult): DistributedRun => ({ okPerS: l.okPerS, p50Ms: l.latencyMs.p50, p99Ms: l.latencyMs.p99, failed: l.non2xx + l.errors, statusCounts: l.statusCounts });

/** Resolves true when something accepts a TCP connection at host:port within 1 s. */
function answers(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Why the distributed side cannot run here, or undefined when it can. */
async function missing(): Promise<string | undefined> {
  if (!(await answers(PG_ADMIN_URL, 5432))) return `PostgreSQL is not answering at ${PG_ADMIN_URL.replace(/\/\/[^@]*@/, '//')} (ORDERFLOW_POSTGRES_URL)`;
  if (!(await answers(NATS_URL, 4222))) return `NATS is not answering at ${NATS_URL} (ORDERFLOW_NATS_URL)`;
  if (spawnSync('haproxy', ['-v']).error) return 'haproxy is not installed (apt-get install haproxy)';
  return undefined;
}

const INSTANCES = 2;

async function distributedSide(s: Scenario, log: BenchContext['log']): Promise<DistributedRun> {
  const d = tempDataDir('cluster');
  const sys = await startSystem({ dataDir: d.dir, mode: 'cluster', env: { ORDERFLOW_RATE_LIMIT_PER_KEY: '0', ORDERFLOW_CLUSTER_INSTANCES: String(INSTANCES) } });
  try {
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'bench-sku', { priceCents: 1000, stock: 1_000_000_000 });
    await placeWhenOrderable(api, cust.apiKey, JSON.parse(orderBody), undefined, 30_000);
    const load = (durationS: number) =>
      runLoad({ url: sys.url, path: '/v1/orders', connections: s.connections, durationS, headers: { authorization: `Bearer ${cust.apiKey}` }, body: orderBody, uniqueHeader: 'Idempotency-Key', okStatus: 202 });
    if (s.warmupS > 0) await load(s.warmupS);
    log(`  distributed: ${s.durationS} s load on ${sys.url} (${INSTANCES} instances of each service, PostgreSQL, NATS, HAProxy)`);
    return figures(await load(s.durationS));
  } finally {
    await sys.stop();
    await d.cleanup();
  }
}

async function embeddedSide(s: Scenario, log: BenchContext['log']): Promise<DistributedRun> {
  const session = await openSession();
  try {
    if (s.warmupS > 0) await ordersLoad(session, s.connections, s.warmupS);
    log(`  embedded: ${s.durationS} s load on ${session.system.url}`);
    return figures(await ordersLoad(session, s.connections, s.durationS));
  } finally {
    await session.close();
  }
}

export const distributed: Benchmark<DistributedResult> = {
  name: 'distributed',
  description: 'POST /v1/orders accepted/s: embedded (one process, SQLite) vs distributed (instances on PostgreSQL and NATS behind HAProxy), same load',

  async run(ctx) {
    const why = await missing();
    if (why) {
      ctx.log(`distributed: skipped: ${why}`);
      return { skipped: why };
    }
    const s = ctx.scenario;
    ctx.log('distributed: embedded side');
    const embedded = await embeddedSide(s, ctx.log);
    ctx.log('distributed: distributed side (starting the cluster)');
    const dist = await distributedSide(s, ctx.log);
    return { scenario: s, embedded, distributed: dist, ratio: ratio(dist.okPerS, embedded.okPerS), instances: INSTANCES };
  },

  report(r) {
    if ('skipped' in r) return `distributed: SKIPPED — ${r.skipped}. Start PostgreSQL and NATS (and install haproxy) to compare embedded with distributed; npm run bench:distributed compares the distributed intake with pgbench.`;
    const row = (name: string, x: DistributedRun) => [name, fmt(x.okPerS), ms(x.p50Ms), ms(x.p99Ms), fmt(x.failed)];
    return [
      `distributed: POST /v1/orders, ${r.scenario.connections} connections, ${r.scenario.durationS} s, one run each, on the same machine`,
      '',
      table(['mode', 'accepted/s', 'p50 ms', 'p99 ms', 'non-2xx+err'], [row('embedded', r.embedded), row(`distributed (${r.instances}× each service)`, r.distributed)]),
      '',
      `  distributed / embedded = ${ratioText(r.ratio)}`,
      '  On one 2-core machine the distributed side shares the cores with PostgreSQL, NATS, HAProxy and 8 service processes:',
      '  it shows the cost of the network hops, not the gain of more machines (docs/scaling.md).',
    ].join('\n');
  },
};
