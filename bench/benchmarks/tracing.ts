import { runLoad, type LoadResult } from '../lib/load.ts';
import { cpuWindow, type CpuSplit } from '../lib/cpu.ts';
import { setupFixture, startSystem } from '../lib/system.ts';
import { median } from '../lib/stats.ts';
import { fmt, ms, pct, ratioText, table } from '../lib/table.ts';
import { orderBody, type Scenario } from '../scenarios.ts';
import type { Benchmark, BenchContext } from './types.ts';

/** Tracing may cost at most this share of intake throughput. */
export const TRACING_MAX_COST = 0.15;

interface Side {
  readonly load: LoadResult;
  readonly cpu: CpuSplit;
  /** Spans in the local store after the run (0 with tracing off). */
  readonly spans: number;
}

export interface TracingRun {
  readonly run: number;
  readonly off: Side;
  readonly on: Side;
  /** on / off intake throughput within this run. */
  readonly onOverOff: number;
}

export interface TracingResult {
  readonly scenario: Scenario;
  readonly runs: readonly TracingRun[];
  readonly median: { readonly offPerS: number; readonly onPerS: number; readonly onOverOff: number; readonly cost: number };
  readonly verdict: 'PASS' | 'OVER-BUDGET' | 'NO-DATA';
}

async function countSpans(dataDir: string): Promise<number> {
  const { existsSync } = await import('node:fs');
  const file = `${dataDir}/traces.db`;
  if (!existsSync(file)) return 0;
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(file, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from spans').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** One side: a fresh orderflow with ORDERFLOW_TRACING on or off, warm-up, then measured intake load. */
async function side(s: Scenario, tracing: 'on' | 'off', log: BenchContext['log']): Promise<Side> {
  const system = await startSystem({ env: { ORDERFLOW_TRACING: tracing } });
  try {
    const fixture = await setupFixture(system.url);
    const load = (durationS: number) =>
      runLoad({
        url: system.url,
        path: '/v1/orders',
        connections: s.connections,
        durationS,
        headers: { authorization: `Bearer ${fixture.apiKey}` },
        body: orderBody,
        uniqueHeader: 'Idempotency-Key',
        okStatus: 202,
      });
    if (s.warmupS > 0) await load(s.warmupS);
    log(`  tracing ${tracing}: ${s.durationS} s load on ${system.url}`);
    const end = cpuWindow(system.child.pid);
    const result = await load(s.durationS);
    const cpu = end();
    // Let the store's last batch land before counting.
    await new Promise((r) => setTimeout(r, 600));
    return { load: result, cpu, spans: await countSpans(system.dataDir) };
  } finally {
    await system.stop();
  }
}

export const tracing: Benchmark<TracingResult> = {
  name: 'tracing',
  description: 'what tracing costs: POST /v1/orders accepted/s with ORDERFLOW_TRACING=off vs on',

  async run(ctx) {
    const s = ctx.scenario;
    const runs: TracingRun[] = [];
    for (let i = 1; i <= s.runs; i++) {
      ctx.log(`tracing run ${i}/${s.runs}`);
      // Alternate which side goes first so drift (thermal, other load) does not favour one.
      const first = i % 2 === 1 ? 'off' : 'on';
      const a = await side(s, first, ctx.log);
      const b = await side(s, first === 'off' ? 'on' : 'off', ctx.log);
      const [off, on] = first === 'off' ? [a, b] : [b, a];
      runs.push({ run: i, off, on, onOverOff: on.load.okPerS / off.load.okPerS });
    }
    const onOverOff = median(runs.map((r) => r.onOverOff));
    const cost = 1 - onOverOff;
    return {
      scenario: s,
      runs,
      median: { offPerS: median(runs.map((r) => r.off.load.okPerS)), onPerS: median(runs.map((r) => r.on.load.okPerS)), onOverOff, cost },
      verdict: Number.isFinite(cost) ? (cost < TRACING_MAX_COST ? 'PASS' : 'OVER-BUDGET') : 'NO-DATA',
    };
  },

  report(r) {
    const rows = r.runs.map((run) => [
      String(run.run),
      fmt(run.off.load.okPerS),
      ms(run.off.load.latencyMs.p99),
      pct(run.off.cpu.serverPct),
      fmt(run.on.load.okPerS),
      ms(run.on.load.latencyMs.p99),
      pct(run.on.cpu.serverPct),
      fmt(run.on.spans),
      ratioText(run.onOverOff),
    ]);
    rows.push(['median', fmt(r.median.offPerS), '', '', fmt(r.median.onPerS), '', '', '', ratioText(r.median.onOverOff)]);
    return [
      `tracing: POST /v1/orders accepted/s, ORDERFLOW_TRACING=off vs on (spans to the local store), ${r.scenario.connections} connections, ${r.scenario.durationS} s per side, ${r.runs.length} run(s)`,
      '',
      table(['run', 'off 202/s', 'p99 ms', 'server cpu', 'on 202/s', 'p99 ms', 'server cpu', 'spans kept', 'on/off'], rows),
      '',
      `tracing cost = 1 - on/off = ${(r.median.cost * 100).toFixed(1)}%  (target < ${TRACING_MAX_COST * 100}%)  ${r.verdict}`,
    ].join('\n');
  },
};
