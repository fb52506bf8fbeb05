import { createLatencyRecorder, type LatencySummary } from './latency.ts';

/** Sends one request of kind `op`; resolves with the HTTP status, throws when no answer came. */
export type Send<Op extends string> = (op: Op, signal: AbortSignal) => Promise<number>;

export interface OpenLoopOptions<Op extends string> {
  /** Arrivals per second, evenly spaced (arrival i is due at start + i / rate). */
  readonly rate: number;
  readonly durationS: number;
  /** The operation of the next arrival. */
  pick(): Op;
  send: Send<Op>;
  /** A request without an answer this long counts as error `timeout`. Default 10 000. */
  readonly timeoutMs?: number;
  /** Statuses that count as served. Default: 2xx. */
  isOk?(status: number): boolean;
  /**
   * Arrivals still unanswered at most; one due beyond it is not sent and counts as error
   * `generator_backlog` (a bound on the generator's memory when the target stalls). Default 50 000.
   */
  readonly maxOutstanding?: number;
  /** Called about once a second while arrivals are due, and once at the end. */
  onProgress?(p: Progress): void;
}

/** A live view of a run, for progress bars. */
export interface Progress {
  readonly elapsedS: number;
  readonly durationS: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly outstanding: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Per operation: how many arrivals, how many served, their latency. */
export interface OperationResult {
  readonly sent: number;
  readonly ok: number;
  readonly latencyMs: LatencySummary;
}

export interface OpenLoopResult<Op extends string = string> {
  readonly offeredRate: number;
  readonly durationS: number;
  /** Arrivals due in the run (rate × duration). */
  readonly scheduled: number;
  readonly sent: number;
  /** Served (isOk) answers that arrived within the run's window, per second of the window. */
  readonly throughput: number;
  /** Served answers in all, including those after the window (the stragglers were waited for). */
  readonly ok: number;
  /**
   * Latency of served answers from each arrival's intended send time (not the time it was
   * actually sent), so a stall in the target or the generator shows as latency: no coordinated omission.
   */
  readonly latencyMs: LatencySummary;
  readonly byOperation: Readonly<Partial<Record<Op, OperationResult>>>;
  /** HTTP answers by status, served or not. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Arrivals without an HTTP answer, by cause (`timeout`, `ECONNREFUSED`, `generator_backlog`, ...). */
  readonly errors: Readonly<Record<string, number>>;
  /** (not served + no answer) / scheduled. */
  readonly errorRate: number;
  /** How late the generator sent each request after its intended time: its own health. */
  readonly sendLagMs: LatencySummary;
}

const now = (): number => performance.now();

/**
 * Runs an open-model load: arrivals on a fixed schedule whatever the target does, each sent
 * without waiting for earlier answers. Resolves once every sent request is answered or timed out.
 */
export async function runOpenLoop<Op extends string>(opts: OpenLoopOptions<Op>): Promise<OpenLoopResult<Op>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const isOk = opts.isOk ?? ((s: number) => s >= 200 && s < 300);
  const maxOutstanding = opts.maxOutstanding ?? 50_000;
  const interval = 1000 / opts.rate;
  const scheduled = Math.max(1, Math.floor(opts.rate * opts.durationS));
  const all = createLatencyRecorder();
  const lag = createLatencyRecorder();
  const perOp = new Map<Op, { sent: number; ok: number; latency: ReturnType<typeof createLatencyRecorder> }>();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let okInWindow = 0;
  let failed = 0;
  let outstanding = 0;
  const inFlight = new Set<Promise<void>>();
  const start = now() + 5;
  const windowEnd = start + opts.durationS * 1000;

  const fire = (op: Op, intendedAt: number): void => {
    let stats = perOp.get(op);
    if (!stats) perOp.set(op, (stats = { sent: 0, ok: 0, latency: createLatencyRecorder() }));
    const s = stats;
    if (outstanding >= maxOutstanding) {
      errors.generator_backlog = (errors.generator_backlog ?? 0) + 1;
      failed++;
      return;
    }
    lag.record(now() - intendedAt);
    sent++;
    s.sent++;
    outstanding++;
    const p = withTimeout(opts.send, op, timeoutMs).then(
      (status) => {
        const done = now();
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (!isOk(status)) return void failed++;
        ok++;
        s.ok++;
        if (done <= windowEnd) okInWindow++;
        all.record(done - intendedAt);
        s.latency.record(done - intendedAt);
      },
      (err: unknown) => {
        const cause = errorCause(err);
        errors[cause] = (errors[cause] ?? 0) + 1;
        failed++;
      },
    );
    const tracked = p.finally(() => {
      outstanding--;
      inFlight.delete(tracked);
    });
    inFlight.add(tracked);
  };

  const progress = (): Progress => {
    const l = all.summary();
    return { elapsedS: Math.max(0, (now() - start) / 1000), durationS: opts.durationS, sent, ok, failed, outstanding, p50Ms: l.p50, p99Ms: l.p99 };
  };
  const ticker = opts.onProgress ? setInterval(() => opts.onProgress?.(progress()), 1000) : undefined;

  await new Promise<void>((resolve) => {
    let i = 0;
    const pump = (): void => {
      const t = now();
      while (i < scheduled && start + i * interval <= t) fire(opts.pick(), start + i++ * interval);
      if (i >= scheduled) return resolve();
      setTimeout(pump, Math.max(0, start + i * interval - now()));
    };
    setTimeout(pump, Math.max(0, start - now()));
  });
  // Stragglers count: each ends by its answer or its timeout.
  while (inFlight.size > 0) await Promise.all([...inFlight]);
  if (ticker) clearInterval(ticker);
  opts.onProgress?.(progress());

  const byOperation: Partial<Record<Op, OperationResult>> = {};
  for (const [op, s] of perOp) byOperation[op] = { sent: s.sent, ok: s.ok, latencyMs: s.latency.summary() };
  return {
    offeredRate: opts.rate,
    durationS: opts.durationS,
    scheduled,
    sent,
    throughput: okInWindow / opts.durationS,
    ok,
    latencyMs: all.summary(),
    byOperation,
    statuses,
    errors,
    errorRate: failed / scheduled,
    sendLagMs: lag.summary(),
  };
}

/**
 * Sends with a deadline: the signal aborts and the result rejects with a TimeoutError when no
 * answer came in `timeoutMs` (a referenced timer, so a pending request keeps the process alive).
 */
function withTimeout<Op extends string>(send: Send<Op>, op: Op, timeoutMs: number): Promise<number> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const e = new DOMException(`no answer in ${timeoutMs} ms`, 'TimeoutError');
      ac.abort(e);
      reject(e);
    }, timeoutMs);
  });
  return Promise.race([send(op, ac.signal), deadline]).finally(() => clearTimeout(timer));
}

/** A short name for why a request got no answer. */
export function errorCause(err: unknown): string {
  if (!(err instanceof Error)) return 'error';
  if (err.name === 'TimeoutError' || (err.cause instanceof Error && err.cause.name === 'TimeoutError')) return 'timeout';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  return err.name || 'error';
}

export interface ClosedLoopOptions<Op extends string> {
  /** Workers, each sending its next request when the previous one is answered. */
  readonly concurrency: number;
  readonly durationS: number;
  pick(): Op;
  send: Send<Op>;
  readonly timeoutMs?: number;
  isOk?(status: number): boolean;
}

/**
 * A closed-model probe: `concurrency` workers flat out for `durationS`. Its served answers per
 * second are what the target can do at that concurrency (used to place a capacity run's steps).
 */
export async function runClosedLoop<Op extends string>(opts: ClosedLoopOptions<Op>): Promise<{ throughput: number; ok: number; failed: number }> {
  const isOk = opts.isOk ?? ((s: number) => s >= 200 && s < 300);
  const end = now() + opts.durationS * 1000;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (now() < end) {
        try {
          if (isOk(await withTimeout(opts.send, opts.pick(), opts.timeoutMs ?? 10_000))) ok++;
          else failed++;
        } catch {
          failed++;
          // no answer at all (refused, reset): do not spin
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }),
  );
  return { throughput: ok / opts.durationS, ok, failed };
}
