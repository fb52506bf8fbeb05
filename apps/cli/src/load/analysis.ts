import type { StepSignals } from './signals.ts';

/** One step of a capacity run: the offered rate and what came back. */
export interface CapacityStep {
  /** Multiple of the baseline this step offers. */
  readonly multiple: number;
  readonly offeredRate: number;
  /** Seconds of load. */
  readonly durationS: number;
  /** Served requests per second within the step. */
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** (not served + no answer) / offered. */
  readonly errorRate: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  /** How late the load generator sent, p99 ms (its own health). */
  readonly generatorLagP99Ms: number;
  readonly signals: StepSignals;
  /** Seconds the target needed after the step until its pipeline was empty again (null: not within the wait). */
  readonly settleS: number | null;
}

/** Where a step stops being served well: the thresholds the knee is judged by. */
export const KNEE_RULES = {
  /** Served at least this share of the offered rate. */
  minServedShare: 0.9,
  /** At most this share of errors. */
  maxErrorRate: 0.01,
  /** p99 at most this multiple of the first step's p99 ... */
  p99Growth: 5,
  /** ... or this many ms, whichever is larger. */
  p99FloorMs: 100,
  /** The backlog left after a step drains within this share of the step's length ... */
  drainShare: 0.5,
  /** ... or this many seconds, whichever is larger. */
  minDrainLimitS: 1,
} as const;

/** Why a step is not served well; empty when it is. */
export function breaks(step: CapacityStep, first: CapacityStep): string[] {
  const out: string[] = [];
  if (step.throughput < KNEE_RULES.minServedShare * step.offeredRate) {
    out.push(`served ${step.throughput.toFixed(0)} of ${step.offeredRate.toFixed(0)} req/s offered (${((step.throughput / step.offeredRate) * 100).toFixed(0)} %)`);
  }
  if (step.errorRate > KNEE_RULES.maxErrorRate) out.push(`error rate ${(step.errorRate * 100).toFixed(1)} %`);
  const p99Limit = Math.max(KNEE_RULES.p99Growth * first.p99Ms, KNEE_RULES.p99FloorMs);
  if (!(step.p99Ms <= p99Limit)) out.push(`p99 ${Number.isFinite(step.p99Ms) ? step.p99Ms.toFixed(0) : 'n/a'} ms past ${p99Limit.toFixed(0)} ms`);
  // Accepted is not done: orders go on through the pipeline after their 202. A backlog that takes
  // longer to drain than half the step lasted means the pipeline does not keep up at this rate.
  const drainLimit = Math.max(KNEE_RULES.minDrainLimitS, KNEE_RULES.drainShare * step.durationS);
  if (step.settleS === null || step.settleS > drainLimit) {
    out.push(`the pipeline fell behind: its backlog took ${step.settleS === null ? 'longer than the wait' : `${step.settleS.toFixed(1)} s`} to drain after the ${step.durationS} s step`);
  }
  return out;
}

/** The knee: the last step served well before the first that is not. */
export type Knee =
  | {
      readonly found: true;
      readonly stepIndex: number;
      readonly offeredRate: number;
      readonly throughput: number;
      readonly p99Ms: number;
      /** The first step past it and why it broke. */
      readonly brokeAt: { readonly stepIndex: number; readonly offeredRate: number; readonly reasons: readonly string[] };
    }
  | { readonly found: false; readonly reason: string };

export function findKnee(steps: readonly CapacityStep[]): Knee {
  const first = steps[0];
  if (!first) return { found: false, reason: 'no steps ran' };
  const firstBreak = steps.findIndex((s) => breaks(s, first).length > 0);
  if (firstBreak === -1) return { found: false, reason: `every step up to ${steps[steps.length - 1]!.offeredRate.toFixed(0)} req/s was served well: the knee lies higher (raise --max-rate)` };
  if (firstBreak === 0) return { found: false, reason: `the first step (${first.offeredRate.toFixed(0)} req/s) already broke: ${breaks(first, first).join('; ')}; lower the baseline` };
  const knee = steps[firstBreak - 1]!;
  const broke = steps[firstBreak]!;
  return {
    found: true,
    stepIndex: firstBreak - 1,
    offeredRate: knee.offeredRate,
    throughput: knee.throughput,
    p99Ms: knee.p99Ms,
    brokeAt: { stepIndex: firstBreak, offeredRate: broke.offeredRate, reasons: breaks(broke, first) },
  };
}

/** A resource, the level at which it counts as saturated, and how to read it from a step. */
interface Resource {
  readonly resource: string;
  /** How full it is in a step, 1 = at its saturation threshold; null when not measured. */
  level(step: CapacityStep): number | null;
  describe(step: CapacityStep): string;
  readonly advice: string;
}

const fmt = (n: number | null, d = 0): string => (n === null || !Number.isFinite(n) ? 'n/a' : n.toFixed(d));

/** The resources a capacity run watches, in the order ties are broken (the target's own first). */
export const RESOURCES: readonly Resource[] = [
  {
    resource: 'cpu: the orderflow process (its event-loop thread)',
    level: (s) => (s.signals.processCpuCores === null ? null : s.signals.processCpuCores / 0.9),
    describe: (s) => `process CPU ${fmt(s.signals.processCpuCores, 2)} cores (one Node.js thread saturates near 1.0), event-loop delay p99 ${fmt(s.signals.eventLoopDelayP99Ms)} ms`,
    advice: 'more instances of the busiest service (distributed mode), or less work per order (group commit, handler batches, consumers in a worker thread)',
  },
  {
    resource: 'event loop: delay of the orderflow process',
    level: (s) => (s.signals.eventLoopDelayP99Ms === null ? null : s.signals.eventLoopDelayP99Ms / 100),
    describe: (s) => `event-loop delay p99 ${fmt(s.signals.eventLoopDelayP99Ms)} ms (threshold 100 ms), process CPU ${fmt(s.signals.processCpuCores, 2)} cores`,
    advice: 'find the long synchronous task (`orderflow slow`, a CPU profile) or move work off the request thread',
  },
  {
    resource: 'pipeline: consumer lag',
    level: (s) => {
      const perSecond = Math.max(1, s.offeredRate);
      return s.signals.consumerLagGrowth > 0 ? s.signals.consumerLag / perSecond : 0;
    },
    describe: (s) => `consumer ${s.signals.consumerLagConsumer ?? '-'} lag ${fmt(s.signals.consumerLag)} messages at the step's end (+${fmt(s.signals.consumerLagGrowth)} during it; threshold: one second of arrivals, ${fmt(s.offeredRate)})`,
    advice: 'more consumer instances (distributed mode, the orders stream partitioned by customer), or batch the handler',
  },
  {
    resource: 'pipeline: outbox relay',
    level: (s) => s.signals.outboxAgeS / 1,
    describe: (s) => `oldest unpublished outbox row ${fmt(s.signals.outboxAgeS, 2)} s old in ${s.signals.outboxAgeService ?? '-'} (threshold 1 s)`,
    advice: 'publish larger batches per relay turn, or a relay per instance on its own connection',
  },
  {
    resource: 'database: connection pool',
    level: (s) => s.signals.dbPoolWaitingMax / 1,
    describe: (s) => `${fmt(s.signals.dbPoolWaitingMax)} callers waiting for a database connection`,
    advice: 'a bigger pool (ORDERFLOW_POSTGRES_POOL_SIZE) if PostgreSQL has headroom, else a read replica or partitioning',
  },
  {
    resource: 'dependency: circuit breaker',
    level: (s) => (s.signals.breakersNotClosed.length > 0 ? 1 : 0),
    describe: (s) => `breaker not closed: ${s.signals.breakersNotClosed.join(', ') || 'none'}`,
    advice: 'the dependency (payment provider or SMTP) is the limit: raise its quota or spread across accounts',
  },
  {
    resource: 'dependency: bulkhead queue',
    level: (s) => s.signals.bulkheadQueueMax / 1,
    describe: (s) => `${fmt(s.signals.bulkheadQueueMax)} calls queued at bulkhead ${s.signals.bulkheadQueueName ?? '-'}`,
    advice: 'more concurrency toward the dependency (ORDERFLOW_PAYMENT_CONCURRENCY) if it can take it',
  },
  {
    resource: 'memory: RSS of the orderflow process',
    level: (s) => (s.signals.rssMb === null ? null : s.signals.rssMb / 500),
    describe: (s) => `RSS ${fmt(s.signals.rssMb)} MB (threshold 500 MB)`,
    advice: 'bound the queues that grow with the backlog, or a larger instance',
  },
  {
    resource: 'machine: all CPUs (orderflow, the load generator and everything else on it)',
    level: (s) => (s.signals.machineCpuBusy === null ? null : s.signals.machineCpuBusy / 0.95),
    describe: (s) => `machine CPU ${fmt(s.signals.machineCpuBusy === null ? null : s.signals.machineCpuBusy * 100)} % busy, load generator send lag p99 ${fmt(s.generatorLagP99Ms)} ms`,
    advice: 'run the load generator on another machine, or give orderflow more cores (instances)',
  },
];

export interface Bottleneck {
  /** The resource that saturated first, or `none`. */
  readonly resource: string;
  /** Figures that show it, quoting the step. */
  readonly evidence: string;
  /** The step at which it first crossed its threshold (null: none crossed). */
  readonly stepIndex: number | null;
  /** What to change or scale. */
  readonly advice: string;
  /** Every resource's first crossing, in step order (the runner-ups). */
  readonly crossings: ReadonlyArray<{ readonly resource: string; readonly stepIndex: number; readonly level: number }>;
  /** What may distort the figures (e.g. a machine busy with other work). */
  readonly caveats: readonly string[];
}

/**
 * The first resource to saturate: the one that crossed its threshold at the earliest step (ties:
 * the fuller one, then the order of RESOURCES). With none crossed, the fullest at the knee's break.
 */
export function findBottleneck(steps: readonly CapacityStep[], knee: Knee): Bottleneck {
  const crossings: Array<{ resource: string; stepIndex: number; level: number; r: Resource }> = [];
  const caveats: string[] = [];
  for (const r of RESOURCES) {
    // A machine already full at the first step is busy with other work, not with this load.
    if (r.resource.startsWith('machine') && steps[0] && (r.level(steps[0]) ?? 0) >= 1) {
      caveats.push(`the machine was already ${fmt((steps[0].signals.machineCpuBusy ?? 0) * 100)} % busy at the first step: other work shares it, so the figures are lower than on a quiet machine`);
      continue;
    }
    const i = steps.findIndex((s) => (r.level(s) ?? 0) >= 1);
    if (i >= 0) crossings.push({ resource: r.resource, stepIndex: i, level: r.level(steps[i]!) ?? 0, r });
  }
  crossings.sort((a, b) => a.stepIndex - b.stepIndex || b.level - a.level || RESOURCES.indexOf(a.r) - RESOURCES.indexOf(b.r));
  const list = crossings.map(({ resource, stepIndex, level }) => ({ resource, stepIndex, level }));
  const first = crossings[0];
  if (first) {
    const s = steps[first.stepIndex]!;
    return {
      resource: first.resource,
      evidence: `at step ${first.stepIndex + 1} (${s.offeredRate.toFixed(0)} req/s offered, ${s.throughput.toFixed(0)} served, p99 ${fmt(s.p99Ms)} ms): ${first.r.describe(s)}`,
      stepIndex: first.stepIndex,
      advice: first.r.advice,
      crossings: list,
      caveats,
    };
  }
  const at = knee.found ? steps[knee.brokeAt.stepIndex]! : steps[steps.length - 1];
  if (!at) return { resource: 'none', evidence: 'no steps ran', stepIndex: null, advice: '', crossings: list, caveats };
  const fullest = [...RESOURCES].sort((a, b) => (b.level(at) ?? 0) - (a.level(at) ?? 0))[0]!;
  return {
    resource: knee.found ? `unattributed (closest: ${fullest.resource})` : 'none',
    evidence: `no watched resource crossed its threshold; fullest at ${at.offeredRate.toFixed(0)} req/s: ${fullest.describe(at)}`,
    stepIndex: null,
    advice: fullest.advice,
    crossings: list,
    caveats,
  };
}
