import { cpus, loadavg } from 'node:os';
import { breaks, findBottleneck, findKnee, type Bottleneck, type CapacityStep, type Knee } from './analysis.ts';
import { mixPicker, type Mix } from './mix.ts';
import { runClosedLoop, runOpenLoop, type Progress } from './open-loop.ts';
import { customersFor, openOrderflowTarget, type OrderflowTarget } from './orderflow-target.ts';
import { MIN_STEPS, type CapacityScenario } from './scenarios.ts';
import { isSettled, machineTicks, scrape, stepSignals, type Snapshot } from './signals.ts';

export interface CapacityOptions {
  readonly url: string;
  readonly adminKey: string;
  readonly scenario: CapacityScenario;
  readonly mix: Mix;
  /** Highest rate to offer; default 10x the baseline. */
  readonly maxRate?: number | undefined;
  /** Today's rate, when known; default: measured (the scenario's share of a closed-loop probe). */
  readonly baseline?: number | undefined;
  readonly connections: number;
  /** Progress lines (stderr). */
  log(message: string): void;
  /** Live progress of the running step. */
  onProgress?(step: number, steps: number, rate: number, p: Progress): void;
}

/** Memory of the target against the targets the design sets. */
export interface RssReport {
  readonly idleMb: number | null;
  readonly kneeMb: number | null;
  readonly maxMb: number | null;
  readonly idleTargetMb: 200;
  readonly kneeTargetMb: 500;
  readonly idleMet: boolean | null;
  readonly kneeMet: boolean | null;
}

export interface CapacityResult {
  readonly generatedAt: string;
  readonly target: string;
  readonly scenario: CapacityScenario;
  readonly mix: Mix;
  readonly machine: { readonly cpus: number; readonly loadAvgAtStart: readonly number[] };
  readonly baseline: { readonly rate: number; readonly source: 'flag' | 'probe'; readonly probeThroughput: number | null; readonly probeConcurrency: number | null };
  readonly steps: readonly CapacityStep[];
  readonly knee: Knee;
  readonly bottleneck: Bottleneck;
  readonly rss: RssReport;
  /** Why the run stopped before its last planned step, if it did. */
  readonly stoppedEarly: string | null;
  readonly plannedRates: readonly number[];
}

/**
 * The offered rates: 1x..`maxMultiple`x of the baseline (default 10), or evenly up to `maxRate`;
 * never fewer than MIN_STEPS steps, never more than `maxMultiple`.
 */
function logStep(log: (line: string) => void, step: CapacityStep): void {
  log(
    `  served ${step.throughput.toFixed(1)} req/s, p50 ${step.p50Ms.toFixed(1)} ms, p99 ${step.p99Ms.toFixed(1)} ms, errors ${(step.errorRate * 100).toFixed(1)} %, ` +
      `cpu ${step.signals.processCpuCores?.toFixed(2) ?? '-'} cores, rss ${step.signals.rssMb?.toFixed(0) ?? '-'} MB`,
  );
}

/** Times a probed baseline whose first step already broke is halved and the steps run again (each run of the plan takes a while). */
const LOWER_RETRIES = 1;

/** Steps added beyond the plan, each 1.5x the last, when no knee showed within it (no --max-rate given). */
const EXTRA_STEPS = 6;

export function planRates(baseline: number, maxRate?: number, maxMultiple = 10): number[] {
  const top = Math.min(maxMultiple * baseline, maxRate ?? Infinity);
  const n = Math.max(MIN_STEPS, Math.min(maxMultiple, Math.floor(top / baseline + 1e-9)));
  return Array.from({ length: n }, (_, i) => round((top * (i + 1)) / n));
}

const round = (n: number): number => (n >= 100 ? Math.round(n) : Math.round(n * 10) / 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the target's pipeline is empty, up to `maxS`; returns the seconds waited, null if it never was. */
async function settle(url: string, maxS: number): Promise<number | null> {
  const t0 = performance.now();
  for (;;) {
    try {
      if (isSettled(await scrape(url))) return (performance.now() - t0) / 1000;
    } catch {
      // a scrape that fails while the target is overloaded: try again
    }
    if (performance.now() - t0 > maxS * 1000) return null;
    await sleep(250);
  }
}

async function runStep(opts: CapacityOptions, target: OrderflowTarget, index: number, total: number, rate: number, multiple: number): Promise<CapacityStep> {
  const { stepSeconds } = opts.scenario;
  await target.ensureCustomers(customersFor(rate));
  const scrapes: Snapshot[] = [await scrape(opts.url)];
  const mStart = machineTicks();
  let mEnd: ReturnType<typeof machineTicks> = undefined;
  let scraping = true;
  const scraper = (async () => {
    const t0 = performance.now();
    while (scraping) {
      await sleep(Math.min(1000, Math.max(0, t0 + stepSeconds * 1000 - performance.now())));
      if (!scraping) break;
      const last = performance.now() >= t0 + stepSeconds * 1000 - 5;
      if (last) mEnd = machineTicks();
      try {
        scrapes.push(await scrape(opts.url, AbortSignal.timeout(3_000)));
      } catch {
        // an overloaded target may not answer its scrape in time; the step goes on without it
      }
      if (last) break;
    }
  })();
  const r = await runOpenLoop({
    rate,
    durationS: stepSeconds,
    pick: mixPicker(opts.mix),
    send: (op, signal) => target.send(op, signal),
    timeoutMs: Math.min(10_000, Math.max(2_000, 2_000 * stepSeconds)),
    onProgress: (p) => opts.onProgress?.(index, total, rate, p),
  });
  await scraper;
  scraping = false;
  const signals = stepSignals(scrapes, { start: mStart, end: mEnd ?? machineTicks() });
  const settleS = await settle(opts.url, opts.scenario.settleSeconds);
  return {
    multiple,
    offeredRate: rate,
    durationS: stepSeconds,
    throughput: r.throughput,
    p50Ms: r.latencyMs.p50,
    p90Ms: r.latencyMs.p90,
    p99Ms: r.latencyMs.p99,
    p999Ms: r.latencyMs.p999,
    maxMs: r.latencyMs.max,
    errorRate: r.errorRate,
    statuses: r.statuses,
    errors: r.errors,
    generatorLagP99Ms: r.sendLagMs.p99,
    signals,
    settleS,
  };
}

/**
 * Runs a capacity measurement: baseline (given or probed), then steps of open-model load from
 * 1x to 10x of it (or up to maxRate), with /metrics scraped through each step. Stops early,
 * after at least MIN_STEPS, once two steps in a row served less than half of what they offered.
 * @throws SetupError when the target cannot be set up; an Error when /metrics does not answer.
 */
export async function runCapacity(opts: CapacityOptions): Promise<CapacityResult> {
  const s = opts.scenario;
  const loadAvgAtStart = loadavg().map((n) => Math.round(n * 100) / 100);
  const idle = await scrape(opts.url);
  const target = await openOrderflowTarget({ url: opts.url, adminKey: opts.adminKey, connections: opts.connections, customers: s.probeConcurrency });
  try {
    await settle(opts.url, s.settleSeconds);
    let baseline: CapacityResult['baseline'];
    if (opts.baseline !== undefined) {
      baseline = { rate: opts.baseline, source: 'flag', probeThroughput: null, probeConcurrency: null };
    } else {
      opts.log(`probing: ${s.probeConcurrency} workers flat out, ${s.probeSeconds} s to warm up, ${s.probeSeconds} s measured`);
      const closed = (durationS: number) => runClosedLoop({ concurrency: s.probeConcurrency, durationS, pick: mixPicker(opts.mix), send: (op, signal) => target.send(op, signal) });
      // A fresh process is slower until its code is compiled and its caches are warm: that first run is not the ceiling.
      await closed(s.probeSeconds);
      await settle(opts.url, s.settleSeconds);
      const probe = await closed(s.probeSeconds);
      if (probe.ok === 0) throw new Error(`the probe got no served answer from ${opts.url} (${probe.failed} failed)`);
      // An accepted order is served when its pipeline has finished it: the probe's rate counts the
      // time its backlog takes to drain (the intake alone can run far ahead of the pipeline).
      const drainS = (await settle(opts.url, s.settleSeconds)) ?? s.settleSeconds;
      const sustained = probe.throughput * (s.probeSeconds / (s.probeSeconds + drainS));
      baseline = { rate: round(Math.max(1, sustained * s.baselineShare)), source: 'probe', probeThroughput: sustained, probeConcurrency: s.probeConcurrency };
      opts.log(`probe answered ${probe.throughput.toFixed(0)} req/s and its backlog drained in ${drainS.toFixed(1)} s: ${sustained.toFixed(0)} req/s sustained; baseline ${baseline.rate} req/s`);
    }
    const runPlan = async (rates: number[], rate0: number) => {
      const steps: CapacityStep[] = [];
      let stoppedEarly: string | null = null;
      for (const [i, rate] of rates.entries()) {
        opts.log(`step ${i + 1}/${rates.length}: ${rate} req/s for ${s.stepSeconds} s`);
        const step = await runStep(opts, target, i, rates.length, rate, Math.round((rate / rate0) * 100) / 100);
        steps.push(step);
        logStep(opts.log, step);
        const collapsed = (x: CapacityStep) => x.throughput < 0.5 * x.offeredRate;
        if (steps.length >= MIN_STEPS && i < rates.length - 1 && steps.length >= 2 && collapsed(step) && collapsed(steps[steps.length - 2]!)) {
          stoppedEarly = `steps ${steps.length - 1} and ${steps.length} served less than half of what they offered; the higher steps (${rates.slice(i + 1).join(', ')} req/s) were not run`;
          opts.log(`stopping early: ${stoppedEarly}`);
          break;
        }
      }
      return { steps, stoppedEarly };
    };
    const firstBroke = (steps: readonly CapacityStep[]) => steps.length > 0 && breaks(steps[0]!, steps[0]!).length > 0;
    let rates = planRates(baseline.rate, opts.maxRate, s.maxMultiple);
    let { steps, stoppedEarly } = await runPlan(rates, baseline.rate);
    // A probe is one short sample: its baseline can land on either side. Guessed high, the first
    // step already breaks: halve the baseline and run the steps again (once).
    for (let retry = 1; baseline.source === 'probe' && firstBroke(steps) && retry <= LOWER_RETRIES; retry++) {
      baseline = { ...baseline, rate: round(Math.max(1, baseline.rate / 2)) };
      rates = planRates(baseline.rate, opts.maxRate, s.maxMultiple);
      opts.log(`the first step already broke: baseline halved to ${baseline.rate} req/s (retry ${retry}/${LOWER_RETRIES})`);
      ({ steps, stoppedEarly } = await runPlan(rates, baseline.rate));
    }
    // Guessed low (a probe whose backlog took long to drain), every step is served well: without a
    // --max-rate, step on at 1.5x the last rate until one breaks.
    let knee = findKnee(steps);
    for (let extra = 0; !knee.found && !firstBroke(steps) && stoppedEarly === null && opts.maxRate === undefined && extra < EXTRA_STEPS; extra++) {
      const rate = Math.round(steps[steps.length - 1]!.offeredRate * 1.5);
      rates.push(rate);
      opts.log(`no knee up to ${steps[steps.length - 1]!.offeredRate} req/s; extra step ${extra + 1}/${EXTRA_STEPS}: ${rate} req/s for ${s.stepSeconds} s`);
      const step = await runStep(opts, target, steps.length, rates.length, rate, Math.round((rate / baseline.rate) * 100) / 100);
      steps.push(step);
      logStep(opts.log, step);
      knee = findKnee(steps);
    }
    const bottleneck = findBottleneck(steps, knee);
    const idleMb = idle.rssBytes === undefined ? null : idle.rssBytes / 2 ** 20;
    const kneeMb = knee.found ? steps[knee.stepIndex]!.signals.rssMb : null;
    const maxes = steps.map((x) => x.signals.rssMb).filter((x): x is number => x !== null);
    const rss: RssReport = {
      idleMb,
      kneeMb,
      maxMb: maxes.length > 0 ? Math.max(...maxes) : null,
      idleTargetMb: 200,
      kneeTargetMb: 500,
      idleMet: idleMb === null ? null : idleMb < 200,
      kneeMet: kneeMb === null ? null : kneeMb < 500,
    };
    return {
      generatedAt: new Date().toISOString(),
      target: opts.url,
      scenario: s,
      mix: opts.mix,
      machine: { cpus: cpus().length, loadAvgAtStart },
      baseline,
      steps,
      knee,
      bottleneck,
      rss,
      stoppedEarly,
      plannedRates: rates,
    };
  } finally {
    await target.close();
  }
}
