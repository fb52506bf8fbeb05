import { join } from 'node:path';
import { orderBody, targets, type Scenario } from '../scenarios.ts';
import { startBare } from '../lib/bare.ts';
import { ChildExitedError } from '../lib/child.ts';
import { cpuWindow, type CpuSplit } from '../lib/cpu.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { measureOrders, openSession, ordersLoad, type OrdersMeasurement } from '../lib/orders-load.ts';
import { formatProfile, summariseMainProfile, type ProfileSummary } from '../lib/profile.ts';
import { median, ratio, verdict } from '../lib/stats.ts';
import { fmt, ms, pct, ratioText, table } from '../lib/table.ts';
import type { Benchmark, BenchContext } from './types.ts';

export interface BareRun {
  readonly load: LoadResult;
  readonly cpu: CpuSplit;
}

export interface OrderflowRun extends OrdersMeasurement {
  readonly startupMs: number;
  readonly setupMs: number;
  /** With --profile: where the orderflow process spent its CPU. */
  readonly profile?: ProfileSummary;
}

/** A side of a run that threw. */
export interface Failed {
  readonly error: string;
}

/** One interleaved pair; a side that failed carries its error instead. */
export interface IntakeRun {
  readonly run: number;
  readonly bare: BareRun | Failed;
  readonly orderflow: OrderflowRun | Failed;
  /** Ratios within this run (same minute, same machine state). */
  readonly intakeOverBare: number;
  readonly e2eOverIntake: number;
}

export interface IntakeResult {
  readonly scenario: Scenario;
  readonly runs: readonly IntakeRun[];
  readonly median: {
    readonly bareReqPerS: number;
    readonly bareP50Ms: number;
    readonly bareP99Ms: number;
    readonly intakePerS: number;
    readonly intakeP50Ms: number;
    readonly intakeP99Ms: number;
    readonly e2ePerS: number;
    readonly tailS: number;
    /** Median of the per-run ratios: the figure judged against the target. */
    readonly intakeOverBare: number;
    readonly e2eOverIntake: number;
  };
  readonly verdicts: { readonly intakeOverBare: string; readonly e2eOverIntake: string };
}

function isOk<T extends object>(side: T | Failed): side is T {
  return !('error' in side);
}

async function runBare(s: Scenario, log: BenchContext['log']): Promise<BareRun> {
  const bare = await startBare();
  try {
    const load = (durationS: number): Promise<LoadResult> =>
      runLoad({ url: bare.url, path: '/v1/orders', connections: s.connections, durationS, body: orderBody, okStatus: 202 });
    if (s.warmupS > 0) await load(s.warmupS);
    log(`  bare: ${s.durationS} s load on ${bare.url}`);
    const end = cpuWindow(bare.child.pid);
    const result = await load(s.durationS);
    return { load: result, cpu: end() };
  } finally {
    await bare.child.stop();
  }
}

async function runOrderflow(s: Scenario, log: BenchContext['log'], profileDir: string | undefined): Promise<OrderflowRun> {
  const session = await openSession({ profileDir });
  let run: OrderflowRun;
  try {
    if (s.warmupS > 0) await ordersLoad(session, s.connections, s.warmupS);
    log(`  orderflow: ${s.durationS} s load on ${session.system.url} (started in ${session.startupMs} ms, set up in ${session.setupMs} ms)`);
    const m = await measureOrders(session, { connections: s.connections, durationS: s.durationS, drainTimeoutS: s.drainTimeoutS, drainPollMs: s.drainPollMs });
    log(`  orderflow: ${m.intake.ok} accepted, ${m.e2e.drained ? `all final ${fmt(m.e2e.tailS, 1)} s after the load` : 'DID NOT DRAIN'}`);
    run = { ...m, startupMs: session.startupMs, setupMs: session.setupMs };
  } finally {
    await session.close();
  }
  const profile = profileDir === undefined ? undefined : await summariseMainProfile(profileDir);
  return profile === undefined ? run : { ...run, profile };
}

/**
 * Runs one side of a run. A child that ended without being asked to (a crash, or a process
 * outside the bench killing it) gets one fresh retry; any other failure is recorded as is.
 */
async function attempt<T>(label: string, log: BenchContext['log'], fn: () => Promise<T>): Promise<T | Failed> {
  for (let tries = 1; ; tries++) {
    try {
      return await fn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`  ${label} FAILED: ${message}`);
      if (err instanceof ChildExitedError && tries < 2) {
        log(`  ${label}: retrying once with a fresh process`);
        continue;
      }
      return { error: message };
    }
  }
}

export const intake: Benchmark<IntakeResult> = {
  name: 'intake',
  description: 'POST /v1/orders accepted/s vs a bare node:http server, and orders finished/s end to end',

  async run(ctx) {
    const s = ctx.scenario;
    const runs: IntakeRun[] = [];
    for (let i = 1; i <= s.runs; i++) {
      ctx.log(`intake run ${i}/${s.runs}`);
      const bare = await attempt('bare', ctx.log, () => runBare(s, ctx.log));
      const of = await attempt('orderflow', ctx.log, () => runOrderflow(s, ctx.log, ctx.profileDir && join(ctx.profileDir, `intake-run${i}`)));
      const bareRate = isOk(bare) ? bare.load.okPerS : NaN;
      const intakeRate = isOk(of) ? of.intake.okPerS : NaN;
      const e2eRate = isOk(of) ? of.e2e.perS : NaN;
      runs.push({ run: i, bare, orderflow: of, intakeOverBare: ratio(intakeRate, bareRate), e2eOverIntake: ratio(e2eRate, intakeRate) });
    }
    const bares = runs.map((r) => r.bare).filter(isOk);
    const ofs = runs.map((r) => r.orderflow).filter(isOk);
    const m = {
      bareReqPerS: median(bares.map((b) => b.load.okPerS)),
      bareP50Ms: median(bares.map((b) => b.load.latencyMs.p50)),
      bareP99Ms: median(bares.map((b) => b.load.latencyMs.p99)),
      intakePerS: median(ofs.map((o) => o.intake.okPerS)),
      intakeP50Ms: median(ofs.map((o) => o.intake.latencyMs.p50)),
      intakeP99Ms: median(ofs.map((o) => o.intake.latencyMs.p99)),
      e2ePerS: median(ofs.map((o) => o.e2e.perS)),
      tailS: median(ofs.map((o) => o.e2e.tailS)),
      intakeOverBare: median(runs.map((r) => r.intakeOverBare)),
      e2eOverIntake: median(runs.map((r) => r.e2eOverIntake)),
    };
    return {
      scenario: s,
      runs,
      median: m,
      verdicts: {
        intakeOverBare: verdict(m.intakeOverBare, targets.intakeOverBare),
        e2eOverIntake: verdict(m.e2eOverIntake, targets.e2eOverIntake),
      },
    };
  },

  report(r) {
    const s = r.scenario;
    const head = `intake: POST /v1/orders on orderflow (embedded) vs bare node:http, same body, ${s.connections} connections, ${s.durationS} s per run, ${r.runs.length} run(s) interleaved${s.warmupS > 0 ? `, ${s.warmupS} s warm-up each` : ''}`;
    const rows = r.runs.map((run) => {
      const b = isOk(run.bare) ? run.bare : undefined;
      const o = isOk(run.orderflow) ? run.orderflow : undefined;
      return [
        String(run.run),
        b ? fmt(b.load.okPerS) : 'error',
        b ? ms(b.load.latencyMs.p50) : '-',
        b ? ms(b.load.latencyMs.p99) : '-',
        o ? fmt(o.intake.okPerS) : 'error',
        o ? ms(o.intake.latencyMs.p50) : '-',
        o ? ms(o.intake.latencyMs.p99) : '-',
        o ? fmt(o.intake.non2xx + o.intake.errors) : '-',
        o ? (o.e2e.drained ? fmt(o.e2e.perS) : 'did not drain') : '-',
        o ? fmt(o.e2e.tailS, 1) : '-',
        ratioText(run.intakeOverBare),
        ratioText(run.e2eOverIntake),
      ];
    });
    const m = r.median;
    rows.push([
      'median',
      fmt(m.bareReqPerS),
      ms(m.bareP50Ms),
      ms(m.bareP99Ms),
      fmt(m.intakePerS),
      ms(m.intakeP50Ms),
      ms(m.intakeP99Ms),
      '',
      fmt(m.e2ePerS),
      fmt(m.tailS, 1),
      ratioText(m.intakeOverBare),
      ratioText(m.e2eOverIntake),
    ]);
    const main = table(
      ['run', 'bare req/s', 'p50 ms', 'p99 ms', 'orders 202/s', 'p50 ms', 'p99 ms', 'non-2xx+err', 'e2e final/s', 'tail s', 'intake/bare', 'e2e/intake'],
      rows,
    );

    const cpuRows = r.runs.map((run) => {
      const b = isOk(run.bare) ? run.bare : undefined;
      const o = isOk(run.orderflow) ? run.orderflow : undefined;
      return [
        String(run.run),
        b ? pct(b.cpu.loadGenPct) : '-',
        b ? pct(b.cpu.serverPct) : '-',
        b ? pct(b.cpu.machinePct) : '-',
        o ? pct(o.cpuLoad.loadGenPct) : '-',
        o ? pct(o.cpuLoad.serverPct) : '-',
        o ? pct(o.cpuLoad.machinePct) : '-',
        o ? `${pct(o.cpuDrain.serverPct)} over ${fmt(o.cpuDrain.wallS, 1)} s` : '-',
      ];
    });
    const cpu = table(
      ['run', 'bare: loadgen', 'server', 'machine', 'orders: loadgen', 'server', 'machine', 'orderflow after load (drain)'],
      cpuRows,
    );

    const statusLines = r.runs.flatMap((run) => {
      if (!isOk(run.orderflow)) return [`run ${run.run} orderflow error: ${run.orderflow.error.split('\n')[0]}`];
      const o = run.orderflow;
      const codes = Object.entries(o.intake.statusCounts).map(([k, v]) => `${k}×${v}`).join(' ');
      const extra = o.intake.errors > 0 ? `, ${o.intake.errors} socket errors (${o.intake.timeouts} timeouts)` : '';
      const stuck = o.e2e.drained ? '' : `; NOT DRAINED after ${s.drainTimeoutS} s: ${JSON.stringify(o.e2e.byStatus)}`;
      return [`run ${run.run} statuses: ${codes}${extra}; orders created ${o.e2e.created}, final ${o.e2e.final}${stuck}`];
    });

    const profiled = r.runs.map((run) => (isOk(run.orderflow) ? run.orderflow.profile : undefined)).find((p) => p !== undefined);
    const verdictLine = (label: string, value: number, target: number, word: string): string =>
      `${label} = ${ratioText(value)}  (target >= ${target})  ${word}`;
    return [
      head,
      '',
      main,
      '',
      'CPU, % of one core (2 cores = 200%); loadgen = autocannon in the bench process:',
      cpu,
      '',
      ...statusLines,
      '',
      'Ratios are medians of per-run ratios (each measured in the same run):',
      verdictLine('  intake / bare    ', m.intakeOverBare, targets.intakeOverBare, r.verdicts.intakeOverBare),
      verdictLine('  e2e / intake     ', m.e2eOverIntake, targets.e2eOverIntake, r.verdicts.e2eOverIntake),
      '  e2e = accepted / (last order final - load start); tail = last order final - load end',
      ...(profiled ? ['', 'NOTE: orderflow ran under --cpu-prof; its figures are lower than without the profiler.', formatProfile(profiled)] : []),
    ].join('\n');
  },
};
