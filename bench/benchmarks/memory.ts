import type { Scenario } from '../scenarios.ts';
import { openSession, ordersLoad } from '../lib/orders-load.ts';
import { median, ratio } from '../lib/stats.ts';
import { fmt, ms, ratioText, table } from '../lib/table.ts';
import type { Benchmark } from './types.ts';

/** The V8 flag this benchmark weighs: a smaller young generation (default 16 MB semi-spaces on 64-bit). */
export const SEMI_SPACE_FLAG = '--max-semi-space-size=4';
/** The design's memory targets for embedded mode. */
/**
 * Embedded mode's default (pipeline in a worker thread: a second V8 isolate and module graph) idles
 * under 280 MB; with ORDERFLOW_PIPELINE=inline the target is the original 200 MB (docs/scaling.md).
 */
export const RSS_TARGETS = { idleMb: 280, kneeMb: 500 } as const;

type Variant = 'default' | 'semi-space-4';

export interface MemoryRun {
  readonly run: number;
  readonly variant: Variant;
  /** RSS after start-up and the fixture, before any load. */
  readonly idleMb: number;
  /** Highest RSS seen (scraped every 500 ms) while the closed-loop load ran. */
  readonly loadMb: number;
  readonly intakePerS: number;
  readonly p99Ms: number;
}

export interface MemoryResult {
  readonly scenario: Scenario;
  readonly runs: readonly MemoryRun[];
  readonly median: Readonly<Record<Variant, { idleMb: number; loadMb: number; intakePerS: number; p99Ms: number }>>;
  /** semi-space-4 intake / default intake, median of same-run ratios. */
  readonly intakeRatio: number;
}

async function rssMb(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('process_resident_memory_bytes '));
  return line ? Number(line.split(' ')[1]) / 2 ** 20 : NaN;
}

async function measure(s: Scenario, run: number, variant: Variant): Promise<MemoryRun> {
  const session = await openSession({ nodeArgs: variant === 'default' ? [] : [SEMI_SPACE_FLAG] });
  try {
    // Let start-up garbage be collected before calling it idle.
    await new Promise((r) => setTimeout(r, 3_000));
    const idleMb = await rssMb(session.system.url);
    let loadMb = idleMb;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await new Promise((r) => setTimeout(r, 500));
        loadMb = Math.max(loadMb, await rssMb(session.system.url).catch(() => 0));
      }
    })();
    const load = await ordersLoad(session, s.connections, s.durationS);
    sampling = false;
    await sampler;
    return { run, variant, idleMb, loadMb, intakePerS: load.okPerS, p99Ms: load.latencyMs.p99 };
  } finally {
    await session.close();
  }
}

export const memory: Benchmark<MemoryResult> = {
  name: 'memory',
  description: `embedded RSS idle and under load, and intake, with V8's default young generation vs ${SEMI_SPACE_FLAG}`,

  async run(ctx) {
    const s = ctx.scenario;
    const count = Math.min(s.runs, 2);
    const runs: MemoryRun[] = [];
    for (let i = 1; i <= count; i++) {
      for (const variant of ['default', 'semi-space-4'] as const) {
        ctx.log(`memory run ${i}/${count}: ${variant}`);
        runs.push(await measure(s, i, variant));
      }
    }
    const med = (v: Variant) => {
      const of = runs.filter((r) => r.variant === v);
      return { idleMb: median(of.map((r) => r.idleMb)), loadMb: median(of.map((r) => r.loadMb)), intakePerS: median(of.map((r) => r.intakePerS)), p99Ms: median(of.map((r) => r.p99Ms)) };
    };
    const pair = (i: number, v: Variant) => runs.find((r) => r.run === i && r.variant === v)?.intakePerS ?? NaN;
    return {
      scenario: s,
      runs,
      median: { default: med('default'), 'semi-space-4': med('semi-space-4') },
      intakeRatio: median(Array.from({ length: count }, (_, i) => ratio(pair(i + 1, 'semi-space-4'), pair(i + 1, 'default')))),
    };
  },

  report(r) {
    const rows = r.runs.map((x) => [String(x.run), x.variant, fmt(x.idleMb), fmt(x.loadMb), fmt(x.intakePerS), ms(x.p99Ms)]);
    for (const v of ['default', 'semi-space-4'] as const) {
      const m = r.median[v];
      rows.push(['median', v, fmt(m.idleMb), fmt(m.loadMb), fmt(m.intakePerS), ms(m.p99Ms)]);
    }
    const d = r.median.default;
    return [
      `memory: embedded orderflow (node --import tsx), RSS idle and its peak under ${r.scenario.durationS} s of closed-loop POST /v1/orders (${r.scenario.connections} connections)`,
      '',
      table(['run', 'variant', 'idle RSS MB', 'peak RSS MB', 'orders 202/s', 'p99 ms'], rows),
      '',
      `  targets: idle < ${RSS_TARGETS.idleMb} MB (default: ${d.idleMb < RSS_TARGETS.idleMb ? 'met' : 'NOT met'}, ${SEMI_SPACE_FLAG}: ${r.median['semi-space-4'].idleMb < RSS_TARGETS.idleMb ? 'met' : 'NOT met'}); under load < ${RSS_TARGETS.kneeMb} MB (default: ${d.loadMb < RSS_TARGETS.kneeMb ? 'met' : 'NOT met'})`,
      `  intake with ${SEMI_SPACE_FLAG} / default = ${ratioText(r.intakeRatio)} (same-run ratio, median)`,
    ].join('\n');
  },
};
