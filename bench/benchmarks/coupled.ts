import { orderBody, type Scenario } from '../scenarios.ts';
import { startNode } from '../lib/child.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { openSession, ordersLoad } from '../lib/orders-load.ts';
import { median, ratio } from '../lib/stats.ts';
import { fmt, ms, ratioText, table } from '../lib/table.ts';
import type { Benchmark, BenchContext } from './types.ts';

/** How slow the provider is in the stalled runs: the 30 s stall of the failure-mode tests. */
export const STALL_MS = 30_000;

type System = 'coupled' | 'orderflow';
type Provider = 'healthy' | 'stalled';

/** One load run of one system with the provider healthy or stalled. */
export interface CoupledRun {
  readonly run: number;
  readonly system: System;
  readonly provider: Provider;
  /** Orders answered with success (201 confirmed for the coupled service, 202 accepted for orderflow) per second. */
  readonly okPerS: number;
  /** p50/p99 of the successful answers; NaN when there were none. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  readonly timeouts: number;
  readonly error?: string;
}

export interface CoupledResult {
  readonly scenario: Scenario;
  readonly runs: readonly CoupledRun[];
  readonly median: Readonly<Record<`${System}-${Provider}`, { okPerS: number; p50Ms: number; p99Ms: number }>>;
  /** Medians of same-run ratios. */
  readonly ratios: {
    /** orderflow under the stall / orderflow healthy: does it keep accepting at its healthy rate? */
    readonly orderflowStalledOverHealthy: number;
    /** coupled under the stall / coupled healthy: the collapse. */
    readonly coupledStalledOverHealthy: number;
    readonly healthyOrderflowOverCoupled: number;
    readonly stalledOrderflowOverCoupled: number;
  };
}

const toRun = (run: number, system: System, provider: Provider, load: LoadResult): CoupledRun => ({
  run,
  system,
  provider,
  okPerS: load.okPerS,
  p50Ms: load.ok > 0 ? load.latencyMs.p50 : NaN,
  p99Ms: load.ok > 0 ? load.latencyMs.p99 : NaN,
  failed: load.non2xx + load.errors,
  timeouts: load.timeouts,
});

async function runCoupled(s: Scenario, run: number, provider: Provider, log: BenchContext['log']): Promise<CoupledRun> {
  const { child, value: url } = await startNode({
    label: 'coupled order service',
    args: ['bench/coupled-server.ts'],
    env: { COUPLED_PROVIDER_LATENCY_MS: provider === 'stalled' ? String(STALL_MS) : '0' },
    ready: (line) => (line.msg === 'coupled started' && typeof line.url === 'string' ? line.url : undefined),
    readyTimeoutMs: 30_000,
  });
  try {
    const load = (durationS: number) => runLoad({ url, path: '/v1/orders', connections: s.connections, durationS, body: orderBody, okStatus: 201 });
    if (s.warmupS > 0) await load(s.warmupS);
    log(`  coupled, provider ${provider}: ${s.durationS} s load`);
    return toRun(run, 'coupled', provider, await load(s.durationS));
  } finally {
    await child.stop();
  }
}

async function runOrderflow(s: Scenario, run: number, provider: Provider, log: BenchContext['log']): Promise<CoupledRun> {
  const session = await openSession(provider === 'stalled' ? { env: { ORDERFLOW_SIMULATOR_LATENCY_MS: String(STALL_MS) } } : {});
  try {
    if (s.warmupS > 0) await ordersLoad(session, s.connections, s.warmupS);
    log(`  orderflow, provider ${provider}: ${s.durationS} s load`);
    return toRun(run, 'orderflow', provider, await ordersLoad(session, s.connections, s.durationS));
  } finally {
    await session.close();
  }
}

const KEYS = ['coupled-healthy', 'orderflow-healthy', 'coupled-stalled', 'orderflow-stalled'] as const;

export const coupled: Benchmark<CoupledResult> = {
  name: 'coupled',
  description: `the seed's coupled OrderService (inventory, payment, email inside the request) vs orderflow, provider healthy and answering in ${STALL_MS / 1000} s`,

  async run(ctx) {
    const s = ctx.scenario;
    // Four systems per run: at most two runs keep the default tier near two minutes.
    const runsCount = Math.min(s.runs, 2);
    const runs: CoupledRun[] = [];
    for (let i = 1; i <= runsCount; i++) {
      ctx.log(`coupled run ${i}/${runsCount}`);
      for (const key of KEYS) {
        const [system, provider] = key.split('-') as [System, Provider];
        try {
          runs.push(await (system === 'coupled' ? runCoupled : runOrderflow)(s, i, provider, ctx.log));
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          ctx.log(`  ${key} FAILED: ${error}`);
          runs.push({ run: i, system, provider, okPerS: NaN, p50Ms: NaN, p99Ms: NaN, failed: NaN, timeouts: NaN, error });
        }
      }
    }
    const pick = (key: (typeof KEYS)[number], r: number) => runs.find((x) => `${x.system}-${x.provider}` === key && x.run === r);
    const sameRun = (a: (typeof KEYS)[number], b: (typeof KEYS)[number]) =>
      median(Array.from({ length: runsCount }, (_, i) => ratio(pick(a, i + 1)?.okPerS ?? NaN, pick(b, i + 1)?.okPerS ?? NaN)));
    const med = Object.fromEntries(
      KEYS.map((key) => {
        const of = runs.filter((x) => `${x.system}-${x.provider}` === key);
        return [key, { okPerS: median(of.map((x) => x.okPerS)), p50Ms: median(of.map((x) => x.p50Ms)), p99Ms: median(of.map((x) => x.p99Ms)) }];
      }),
    ) as CoupledResult['median'];
    return {
      scenario: s,
      runs,
      median: med,
      ratios: {
        orderflowStalledOverHealthy: sameRun('orderflow-stalled', 'orderflow-healthy'),
        coupledStalledOverHealthy: sameRun('coupled-stalled', 'coupled-healthy'),
        healthyOrderflowOverCoupled: sameRun('orderflow-healthy', 'coupled-healthy'),
        stalledOrderflowOverCoupled: sameRun('orderflow-stalled', 'coupled-stalled'),
      },
    };
  },

  report(r) {
    const s = r.scenario;
    const rows = r.runs.map((x) => [
      String(x.run),
      x.system,
      x.provider,
      x.error ? 'error' : fmt(x.okPerS, 1),
      ms(x.p50Ms),
      ms(x.p99Ms),
      x.error ? x.error.split('\n')[0]!.slice(0, 60) : `${fmt(x.failed)} (${fmt(x.timeouts)} timeouts)`,
    ]);
    for (const key of KEYS) {
      const m = r.median[key];
      const [system, provider] = key.split('-') as [string, string];
      rows.push(['median', system, provider, fmt(m.okPerS, 1), ms(m.p50Ms), ms(m.p99Ms), '']);
    }
    const q = r.ratios;
    return [
      `coupled: POST /v1/orders, ${s.connections} connections, ${s.durationS} s per run; provider healthy, then answering in ${STALL_MS / 1000} s`,
      '  coupled = bench/coupled/order-service.ts: reserve stock, charge, send mail, then answer 201 (no timeout, no breaker)',
      '  orderflow = embedded mode: answer 202 after one local transaction; payment and mail follow through events',
      '',
      table(['run', 'system', 'provider', 'ok/s', 'p50 ms', 'p99 ms', 'failed'], rows),
      '',
      'Ratios (medians of same-run ratios):',
      `  orderflow stalled / healthy = ${ratioText(q.orderflowStalledOverHealthy)}  (keeps accepting at its healthy rate when near 1)`,
      `  coupled   stalled / healthy = ${ratioText(q.coupledStalledOverHealthy)}  (the collapse)`,
      `  healthy:  orderflow / coupled = ${ratioText(q.healthyOrderflowOverCoupled)}`,
      `  stalled:  orderflow / coupled = ${Number.isFinite(q.stalledOrderflowOverCoupled) || r.median['coupled-stalled'].okPerS !== 0 ? ratioText(q.stalledOrderflowOverCoupled) : 'unbounded (the coupled service answered nothing)'}`,
      '  p50/p99 are over successful answers only; the stalled coupled service has none within the run (its requests wait the full 30 s)',
    ].join('\n');
  },
};
