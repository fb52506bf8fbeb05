import { median } from '../lib/stats.ts';
import { fmt, ms, ratioText, table } from '../lib/table.ts';
import type { Scenario } from '../scenarios.ts';
import { onOffRuns, type OnOffRun } from '../lib/on-off-runs.ts';
import { readsWhileWriting, READ_P99_TARGET_MS, type Side } from './reads-under-writes.ts';
import type { Benchmark } from './types.ts';

export type MixedLoadRun = OnOffRun<Side>;
export interface MixedLoadResult {
  readonly scenario: Scenario;
  readonly runs: readonly MixedLoadRun[];
  readonly median: {
    readonly getP99On: number;
    readonly getP99Off: number;
    readonly getP50On: number;
    readonly getP50Off: number;
    readonly getPerSOn: number;
    readonly getPerSOff: number;
    readonly postP99On: number;
    readonly postP99Off: number;
    readonly postPerSOn: number;
    readonly postPerSOff: number;
    /** off / on GET p99 within each run, median: how many times lower the mechanism's is. */
    readonly getP99Gain: number;
    /** on / off accepted orders per second within each run, median. */
    readonly intakeRatio: number;
  };
}

/**
 * A benchmark that weighs one mechanism under the same mixed load (4 readers of
 * GET /v1/orders/{id}, the scenario's writers placing orders): a fresh orderflow with `on` and one
 * with `off` added to its environment, back to back in each run.
 */
export function mixedLoadBenchmark(spec: { name: string; description: string; on: { label: string; env: Record<string, string> }; off: { label: string; env: Record<string, string> } }): Benchmark<MixedLoadResult> {
  return {
    name: spec.name,
    description: spec.description,

    async run(ctx) {
      const runs = await onOffRuns(ctx, spec.name, (which) => {
        const side = which === 'on' ? spec.on : spec.off;
        return readsWhileWriting(ctx, side.label, side.env);
      });
      const m = (f: (r: MixedLoadRun) => number) => median(runs.map(f));
      return {
        scenario: ctx.scenario,
        runs,
        median: {
          getP99On: m((r) => r.on.reads.latencyMs.p99),
          getP99Off: m((r) => r.off.reads.latencyMs.p99),
          getP50On: m((r) => r.on.reads.latencyMs.p50),
          getP50Off: m((r) => r.off.reads.latencyMs.p50),
          getPerSOn: m((r) => r.on.reads.okPerS),
          getPerSOff: m((r) => r.off.reads.okPerS),
          postP99On: m((r) => r.on.writes.latencyMs.p99),
          postP99Off: m((r) => r.off.writes.latencyMs.p99),
          postPerSOn: m((r) => r.on.writes.okPerS),
          postPerSOff: m((r) => r.off.writes.okPerS),
          getP99Gain: m((r) => r.off.reads.latencyMs.p99 / r.on.reads.latencyMs.p99),
          intakeRatio: m((r) => r.on.writes.okPerS / r.off.writes.okPerS),
        },
      };
    },

    report(r) {
      const row = (run: string, which: string, x: Side) => [run, which, fmt(x.reads.okPerS), ms(x.reads.latencyMs.p50), ms(x.reads.latencyMs.p99), fmt(x.writes.okPerS), ms(x.writes.latencyMs.p50), ms(x.writes.latencyMs.p99), fmt(x.reads.non2xx + x.writes.non2xx + x.reads.errors + x.writes.errors)];
      const md = r.median;
      const [on, off] = [spec.on.label, spec.off.label];
      return [
        `${spec.name}: ${r.scenario.connections} connections POST /v1/orders while 4 read GET /v1/orders/{id}, ${r.scenario.durationS} s per side, ${r.runs.length} run(s); ${on} vs ${off}`,
        '',
        table(['run', 'side', 'GET 200/s', 'p50 ms', 'p99 ms', 'POST 202/s', 'p50 ms', 'p99 ms', 'non-2xx+err'], r.runs.flatMap((x) => [row(String(x.run), on, x.on), row(String(x.run), off, x.off)])),
        '',
        `median GET p99: ${on} ${ms(md.getP99On)} ms, ${off} ${ms(md.getP99Off)} ms (${ratioText(md.getP99Gain)} lower with ${on}; target < ${READ_P99_TARGET_MS} ms)`,
        `median GET p50: ${on} ${ms(md.getP50On)} ms, ${off} ${ms(md.getP50Off)} ms; GET 200/s ${on} ${fmt(md.getPerSOn)}, ${off} ${fmt(md.getPerSOff)}`,
        `median POST p99: ${on} ${ms(md.postP99On)} ms, ${off} ${ms(md.postP99Off)} ms; accepted/s ${on} ${fmt(md.postPerSOn)}, ${off} ${fmt(md.postPerSOff)} (${on}/${off} ${ratioText(md.intakeRatio)})`,
      ].join('\n');
    },
  };
}

/** What moving the pipeline into a worker thread buys (docs/architecture.md). */
export const pipeline = mixedLoadBenchmark({
  name: 'pipeline',
  description: 'embedded mode with the pipeline in a worker thread vs inline on the HTTP event loop: GET and POST p99, orders accepted/s under mixed load',
  on: { label: 'worker', env: { ORDERFLOW_PIPELINE: 'worker' } },
  off: { label: 'inline', env: { ORDERFLOW_PIPELINE: 'inline' } },
});

/** What the SQLite reader connection buys a read that arrives while a write transaction holds the connection. */
export const sqliteReader = mixedLoadBenchmark({
  name: 'sqlite-reader',
  description: 'embedded mode with selects that meet a write transaction sent to a second, read-only SQLite connection vs queued behind it: GET and POST p99, orders accepted/s under mixed load',
  on: { label: 'reader', env: { ORDERFLOW_SQLITE_READER: 'on' } },
  off: { label: 'queued', env: { ORDERFLOW_SQLITE_READER: 'off' } },
});

export const groupCommit = mixedLoadBenchmark({
  name: 'group-commit',
  description: 'embedded mode with group commit at intake (up to 64 orders per transaction) vs one transaction per order: orders accepted/s, POST and GET p99 under mixed load',
  on: { label: 'batch64', env: { ORDERFLOW_INTAKE_BATCH: '64' } },
  off: { label: 'batch1', env: { ORDERFLOW_INTAKE_BATCH: '1' } },
});

/** What the edge's write lane buys a read: at most 8 writes started per event-loop turn, the reads that arrived answered between turns. */
export const writeLane = mixedLoadBenchmark({
  name: 'write-lane',
  description: 'embedded mode with at most 8 writes started per event-loop turn (reads answered in between) vs every request in arrival order: GET and POST p99, orders accepted/s under mixed load',
  on: { label: 'lane8', env: { ORDERFLOW_WRITES_PER_TURN: '8' } },
  off: { label: 'no-lane', env: { ORDERFLOW_WRITES_PER_TURN: '0' } },
});
