import { readFileSync } from 'node:fs';
import { byLabel, parsePrometheus, valueOf } from './prometheus.ts';

/** What one scrape of the target's /metrics says about its resources. */
export interface Snapshot {
  /** performance.now() of the scrape. */
  readonly at: number;
  readonly cpuSeconds: number | undefined;
  readonly rssBytes: number | undefined;
  readonly heapUsedBytes: number | undefined;
  /** Event-loop delay p99 since the previous scrape (prom-client resets the histogram on each). */
  readonly eventLoopP99S: number | undefined;
  readonly outboxAgeS: Readonly<Record<string, number>>;
  readonly outboxPending: Readonly<Record<string, number>>;
  readonly consumerLag: Readonly<Record<string, number>>;
  /** 0 closed, 1 half-open, 2 open. */
  readonly breakers: Readonly<Record<string, number>>;
  readonly bulkheadQueue: Readonly<Record<string, number>>;
  /** Requests being handled by the target's HTTP edge. */
  readonly httpInFlight: number | undefined;
  /** Callers waiting for a database connection, per pool (distributed mode). */
  readonly dbPoolWaiting: Readonly<Record<string, number>>;
}

/** Saturation signals over one step, from the scrapes taken during it. */
export interface StepSignals {
  /** CPU of the target process, in cores (1.0 = one core busy all the step). */
  readonly processCpuCores: number | null;
  /** Busy share of all the machine's cores (target, load generator and everything else), 0..1; null when not on Linux. */
  readonly machineCpuBusy: number | null;
  readonly eventLoopDelayP99Ms: number | null;
  readonly rssMb: number | null;
  readonly heapUsedMb: number | null;
  /** Oldest unpublished outbox row, worst service, seconds, and which service. */
  readonly outboxAgeS: number;
  readonly outboxAgeService: string | null;
  /** Largest consumer lag at the step's end, and which consumer; `lagGrowth` = end − start. */
  readonly consumerLag: number;
  readonly consumerLagConsumer: string | null;
  readonly consumerLagGrowth: number;
  /** Dependencies whose breaker was open or half-open at some scrape. */
  readonly breakersNotClosed: readonly string[];
  readonly bulkheadQueueMax: number;
  readonly bulkheadQueueName: string | null;
  readonly httpInFlightMax: number | null;
  readonly dbPoolWaitingMax: number;
}

/** Reads one snapshot from `GET <url>/metrics`. @throws when the target does not answer 200. */
export async function scrape(url: string, signal?: AbortSignal): Promise<Snapshot> {
  const res = await fetch(`${url}/metrics`, { signal: signal ?? AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}/metrics answered ${res.status}`);
  return snapshotOf(await res.text(), performance.now());
}

/** A snapshot from a /metrics text taken at `at`. */
export function snapshotOf(text: string, at: number): Snapshot {
  const s = parsePrometheus(text);
  return {
    at,
    cpuSeconds: valueOf(s, 'process_cpu_seconds_total'),
    rssBytes: valueOf(s, 'process_resident_memory_bytes'),
    heapUsedBytes: valueOf(s, 'nodejs_heap_size_used_bytes'),
    eventLoopP99S: valueOf(s, 'nodejs_eventloop_lag_p99_seconds'),
    outboxAgeS: byLabel(s, 'orderflow_outbox_oldest_age_seconds', 'service'),
    outboxPending: byLabel(s, 'orderflow_outbox_pending', 'service'),
    consumerLag: byLabel(s, 'orderflow_consumer_lag_messages', 'consumer'),
    breakers: byLabel(s, 'orderflow_circuit_breaker_state', 'dependency'),
    bulkheadQueue: byLabel(s, 'orderflow_bulkhead_queue_length', 'bulkhead'),
    httpInFlight: valueOf(s, 'orderflow_http_requests_in_flight'),
    dbPoolWaiting: byLabel(s, 'orderflow_db_pool_waiting', 'pool'),
  };
}

/** True when nothing is waiting in the target's pipeline (every consumer caught up, every outbox empty). */
export function isSettled(s: Snapshot): boolean {
  return Object.values(s.consumerLag).every((v) => v === 0) && Object.values(s.outboxPending).every((v) => v === 0);
}

/** Jiffies of the whole machine (busy, total), from /proc/stat; undefined off Linux. */
export function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

function worst(records: ReadonlyArray<Readonly<Record<string, number>>>): { value: number; key: string | null } {
  let best = { value: 0, key: null as string | null };
  for (const r of records) for (const [k, v] of Object.entries(r)) if (v > best.value) best = { value: v, key: k };
  return best;
}

/**
 * Folds the scrapes of one step into its signals. `scrapes[0]` is taken at the step's start
 * (its event-loop figure covers the time before the step and is not used).
 */
export function stepSignals(
  scrapes: readonly Snapshot[],
  machine: { start?: { busy: number; total: number } | undefined; end?: { busy: number; total: number } | undefined },
): StepSignals {
  const first = scrapes[0];
  const last = scrapes[scrapes.length - 1];
  const during = scrapes.slice(1);
  const max = (xs: Array<number | undefined>): number | null => {
    const f = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
    return f.length > 0 ? Math.max(...f) : null;
  };
  const cpu =
    first && last && first.cpuSeconds !== undefined && last.cpuSeconds !== undefined && last.at > first.at
      ? (last.cpuSeconds - first.cpuSeconds) / ((last.at - first.at) / 1000)
      : null;
  const m = machine.start && machine.end && machine.end.total > machine.start.total
    ? (machine.end.busy - machine.start.busy) / (machine.end.total - machine.start.total)
    : null;
  const age = worst(scrapes.map((s) => s.outboxAgeS));
  const lagEnd = worst(last ? [last.consumerLag] : []);
  const lagStart = first && lagEnd.key !== null ? (first.consumerLag[lagEnd.key] ?? 0) : 0;
  const bulk = worst(scrapes.map((s) => s.bulkheadQueue));
  const el = max(during.map((s) => s.eventLoopP99S));
  const rss = max(scrapes.map((s) => s.rssBytes));
  const heap = max(scrapes.map((s) => s.heapUsedBytes));
  return {
    processCpuCores: cpu,
    machineCpuBusy: m,
    eventLoopDelayP99Ms: el === null ? null : el * 1000,
    rssMb: rss === null ? null : rss / 2 ** 20,
    heapUsedMb: heap === null ? null : heap / 2 ** 20,
    outboxAgeS: age.value,
    outboxAgeService: age.key,
    consumerLag: lagEnd.value,
    consumerLagConsumer: lagEnd.key,
    consumerLagGrowth: lagEnd.value - lagStart,
    breakersNotClosed: [...new Set(scrapes.flatMap((s) => Object.entries(s.breakers).filter(([, v]) => v > 0).map(([k]) => k)))],
    bulkheadQueueMax: bulk.value,
    bulkheadQueueName: bulk.key,
    httpInFlightMax: max(scrapes.map((s) => s.httpInFlight)),
    dbPoolWaitingMax: worst(scrapes.map((s) => s.dbPoolWaiting)).value,
  };
}
