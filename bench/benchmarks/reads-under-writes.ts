import { runLoad, type LoadResult } from '../lib/load.ts';
import { openReadSession } from '../lib/read-session.ts';
import { median, ratio } from '../lib/stats.ts';
import { fmt, ms, table } from '../lib/table.ts';
import { orderBody, type Scenario } from '../scenarios.ts';
import { onOffRuns, type OnOffRun } from '../lib/on-off-runs.ts';
import type { Benchmark, BenchContext } from './types.ts';

/** Connections that read while the scenario's connections (32 by default) place orders. */
const READ_CONNECTIONS = 4;
/** The acceptance target for GET /v1/orders/{id} under write load. */
export const READ_P99_TARGET_MS = 25;

export interface Side { readonly reads: LoadResult; readonly writes: LoadResult; readonly hitRatio: number }
export type ReadsUnderWritesRun = OnOffRun<Side>;
export interface ReadsUnderWritesResult {
  readonly scenario: Scenario;
  readonly runs: readonly ReadsUnderWritesRun[];
  readonly median: { readonly p99On: number; readonly p99Off: number; readonly p50On: number; readonly writesOn: number; readonly hitRatio: number };
  readonly verdict: 'PASS' | 'OVER-TARGET' | 'NO-DATA';
}

/** One fresh orderflow (`env` on top of the bench defaults): readers and writers at once, as the scenario says. */
export async function readsWhileWriting(ctx: BenchContext, label: string, env: Record<string, string>, cache: 'on' | 'off' = 'on'): Promise<Side> {
  const s = ctx.scenario;
  const session = await openReadSession({ cache, orders: 100, env });
  try {
    const read = (durationS: number) =>
      runLoad({ url: session.system.url, path: session.orderPaths[0]!, paths: session.orderPaths, method: 'GET', connections: READ_CONNECTIONS, durationS, headers: session.auth, okStatus: 200 });
    const write = (durationS: number) =>
      runLoad({ url: session.system.url, path: '/v1/orders', connections: s.connections, durationS, headers: session.auth, body: orderBody, uniqueHeader: 'Idempotency-Key', okStatus: 202 });
    if (s.warmupS > 0) await Promise.all([read(s.warmupS), write(s.warmupS)]);
    ctx.log(`  ${label}: ${s.durationS} s of ${READ_CONNECTIONS} readers while ${s.connections} connections place orders`);
    const before = await session.cacheCounts();
    const [reads, writes] = await Promise.all([read(s.durationS), write(s.durationS)]);
    const after = await session.cacheCounts();
    const hits = after.hits - before.hits;
    return { reads, writes, hitRatio: ratio(hits, hits + (after.misses - before.misses)) || 0 };
  } finally {
    await session.close();
  }
}

export const readsUnderWrites: Benchmark<ReadsUnderWritesResult> = {
  name: 'reads-under-writes',
  description: `GET /v1/orders/{id} p50/p99 from ${READ_CONNECTIONS} readers while 32 connections place orders, cache on vs off`,

  async run(ctx) {
    const runs = await onOffRuns(ctx, 'reads-under-writes', (cache) => readsWhileWriting(ctx, `cache ${cache}`, {}, cache));
    const m = (f: (r: ReadsUnderWritesRun) => number) => median(runs.map(f));
    const p99On = m((r) => r.on.reads.latencyMs.p99);
    return {
      scenario: ctx.scenario,
      runs,
      median: { p99On, p99Off: m((r) => r.off.reads.latencyMs.p99), p50On: m((r) => r.on.reads.latencyMs.p50), writesOn: m((r) => r.on.writes.okPerS), hitRatio: m((r) => r.on.hitRatio) },
      verdict: !Number.isFinite(p99On) ? 'NO-DATA' : p99On < READ_P99_TARGET_MS ? 'PASS' : 'OVER-TARGET',
    };
  },

  report(r) {
    const row = (run: string, cache: string, x: Side) => [run, cache, fmt(x.reads.okPerS), ms(x.reads.latencyMs.p50), ms(x.reads.latencyMs.p99), ms(x.reads.latencyMs.max), `${fmt(x.hitRatio * 100, 1)}%`, fmt(x.writes.okPerS), ms(x.writes.latencyMs.p99), fmt(x.reads.non2xx + x.writes.non2xx + x.reads.errors + x.writes.errors)];
    return [
      `reads-under-writes: ${READ_CONNECTIONS} connections GET /v1/orders/{id} (100 orders in turn) while ${r.scenario.connections} connections POST /v1/orders, ${r.scenario.durationS} s, ${r.runs.length} run(s)`,
      '',
      table(['run', 'cache', 'GET 200/s', 'p50 ms', 'p99 ms', 'max ms', 'hits', 'POST 202/s', 'p99 ms', 'non-2xx+err'], r.runs.flatMap((x) => [row(String(x.run), 'on', x.on), row(String(x.run), 'off', x.off)])),
      '',
      `median GET p99: ${ms(r.median.p99On)} ms with the cache, ${ms(r.median.p99Off)} ms without (target < ${READ_P99_TARGET_MS} ms): ${r.verdict}; hit ratio ${fmt(r.median.hitRatio * 100, 1)}%`,
      '  note: in embedded mode the edge\'s event loop runs intake and the reads (the pipeline has its own thread); a read waits behind at most ORDERFLOW_WRITES_PER_TURN writes (`-- write-lane` weighs that)',
    ].join('\n');
  },
};
