import { cpuWindow } from '../lib/cpu.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { openReadSession, type ReadSession } from '../lib/read-session.ts';
import { median, ratio } from '../lib/stats.ts';
import { fmt, ms, ratioText, table } from '../lib/table.ts';
import type { Scenario } from '../scenarios.ts';
import { onOffRuns, type OnOffRun } from '../lib/on-off-runs.ts';
import type { Benchmark, BenchContext } from './types.ts';

/** Orders read in the "spread" pattern (each read in turn). */
const SPREAD_ORDERS = 300;
/** The cache stays only if it at least gives this much more read throughput. */
export const CACHE_MIN_GAIN = 1.1;

interface Pattern {
  readonly load: LoadResult;
  /** Share of this run's lookups answered by the cache (0 with the cache off). */
  readonly hitRatio: number;
  /** Server CPU per answered request, µs: steadier than req/s on a machine shared with other work. */
  readonly cpuUsPerReq: number;
}
interface Side { readonly hot: Pattern; readonly spread: Pattern }
export type ReadsRun = OnOffRun<Side>;
export interface ReadsResult {
  readonly scenario: Scenario;
  readonly runs: readonly ReadsRun[];
  readonly median: {
    readonly hotOn: number;
    readonly hotOff: number;
    readonly spreadOn: number;
    readonly spreadOff: number;
    /** on/off req/s within each run. */
    readonly hotGain: number;
    readonly spreadGain: number;
    /** off/on server CPU per request within each run: what the cache saves per read. */
    readonly hotCpuGain: number;
    readonly spreadCpuGain: number;
    readonly hitRatio: number;
  };
  readonly verdict: 'KEEP' | 'NO-GAIN' | 'NO-DATA';
}

async function measure(s: ReadSession, paths: readonly string[], durationS: number, connections: number): Promise<Pattern> {
  const before = await s.cacheCounts();
  const end = cpuWindow(s.system.child.pid);
  const load = await runLoad({ url: s.system.url, path: paths[0]!, paths, method: 'GET', connections, durationS, headers: s.auth, okStatus: 200 });
  const cpu = end();
  const after = await s.cacheCounts();
  const hits = after.hits - before.hits;
  const cpuUsPerReq = cpu.serverPct === null ? NaN : ((cpu.serverPct / 100) * load.durationS * 1e6) / Math.max(1, load.responses);
  return { load, hitRatio: ratio(hits, hits + (after.misses - before.misses)) || 0, cpuUsPerReq };
}

async function side(ctx: BenchContext, cache: 'on' | 'off'): Promise<Side> {
  const s = ctx.scenario;
  const session = await openReadSession({ cache, orders: SPREAD_ORDERS });
  try {
    const hotPath = [session.orderPaths[0]!];
    if (s.warmupS > 0) await measure(session, session.orderPaths, s.warmupS, s.connections);
    ctx.log(`  cache ${cache}: ${s.durationS} s one order, ${s.durationS} s ${SPREAD_ORDERS} orders in turn`);
    return { hot: await measure(session, hotPath, s.durationS, s.connections), spread: await measure(session, session.orderPaths, s.durationS, s.connections) };
  } finally {
    await session.close();
  }
}

export const reads: Benchmark<ReadsResult> = {
  name: 'reads',
  description: 'GET /v1/orders/{id} throughput with the cache on vs off (one hot order; many orders in turn), hit ratio',

  async run(ctx) {
    const runs = await onOffRuns(ctx, 'reads', (cache) => side(ctx, cache));
    const m = (f: (r: ReadsRun) => number) => median(runs.map(f));
    const hotGain = m((r) => ratio(r.on.hot.load.okPerS, r.off.hot.load.okPerS));
    const spreadGain = m((r) => ratio(r.on.spread.load.okPerS, r.off.spread.load.okPerS));
    const hotCpuGain = m((r) => ratio(r.off.hot.cpuUsPerReq, r.on.hot.cpuUsPerReq));
    const spreadCpuGain = m((r) => ratio(r.off.spread.cpuUsPerReq, r.on.spread.cpuUsPerReq));
    return {
      scenario: ctx.scenario,
      runs,
      median: {
        hotOn: m((r) => r.on.hot.load.okPerS),
        hotOff: m((r) => r.off.hot.load.okPerS),
        spreadOn: m((r) => r.on.spread.load.okPerS),
        spreadOff: m((r) => r.off.spread.load.okPerS),
        hotGain,
        spreadGain,
        hotCpuGain,
        spreadCpuGain,
        hitRatio: m((r) => r.on.hot.hitRatio),
      },
      // Judged on CPU per request (what a read costs the server); req/s moves with whatever else the machine runs.
      verdict: !Number.isFinite(hotCpuGain) ? 'NO-DATA' : hotCpuGain >= CACHE_MIN_GAIN && spreadCpuGain >= CACHE_MIN_GAIN ? 'KEEP' : 'NO-GAIN',
    };
  },

  report(r) {
    const row = (run: string, side: string, x: Side) => [
      run,
      side,
      fmt(x.hot.load.okPerS),
      ms(x.hot.load.latencyMs.p99),
      fmt(x.hot.cpuUsPerReq),
      `${fmt(x.hot.hitRatio * 100, 1)}%`,
      fmt(x.spread.load.okPerS),
      ms(x.spread.load.latencyMs.p99),
      fmt(x.spread.cpuUsPerReq),
      `${fmt(x.spread.hitRatio * 100, 1)}%`,
      fmt(x.hot.load.non2xx + x.spread.load.non2xx),
    ];
    const rows = r.runs.flatMap((run) => [row(String(run.run), 'on', run.on), row(String(run.run), 'off', run.off)]);
    return [
      `reads: GET /v1/orders/{id} as the owner, ${r.scenario.connections} connections, ${r.scenario.durationS} s per pattern, cache on vs off, ${r.runs.length} run(s)`,
      '',
      table(['run', 'cache', 'one order 200/s', 'p99 ms', 'cpu µs/req', 'hits', `${SPREAD_ORDERS} orders 200/s`, 'p99 ms', 'cpu µs/req', 'hits', 'non-2xx'], rows),
      '',
      `median: one order ${fmt(r.median.hotOn)}/s on vs ${fmt(r.median.hotOff)}/s off = ${ratioText(r.median.hotGain)}x; ` +
        `${SPREAD_ORDERS} orders ${fmt(r.median.spreadOn)}/s vs ${fmt(r.median.spreadOff)}/s = ${ratioText(r.median.spreadGain)}x; repeated-read hit ratio ${fmt(r.median.hitRatio * 100, 1)}% (target > 90%)`,
      `server CPU per read, off/on: one order ${ratioText(r.median.hotCpuGain)}x, ${SPREAD_ORDERS} orders ${ratioText(r.median.spreadCpuGain)}x`,
      `cache verdict (CPU per read ≥ ${CACHE_MIN_GAIN}x lower with the cache, both patterns): ${r.verdict}`,
    ].join('\n');
  },
};
