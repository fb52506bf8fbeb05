import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { platformErrors } from '../errors.ts';
import { toProblem } from './problem.ts';

export interface LoadSheddingOptions {
  /** Event-loop delay (ms) past which requests are shed; 0: off. */
  maxEventLoopDelayMs: number;
  /** Heap used (MiB) past which requests are shed; 0: off. */
  maxHeapUsedMb: number;
  /** Requests in flight at most; the next one is shed; 0: off. */
  maxInFlight: number;
  /** The `Retry-After` answered with every 503. */
  retryAfterSeconds: number;
  /** Counts each shed request by reason (observability subscribes). */
  onShed?: (reason: 'in_flight' | 'event_loop_delay' | 'heap') => void;
}

/** Probes and scrapes are never shed: a busy instance must still say that it is alive. */
const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

function shed(req: FastifyRequest, reply: FastifyReply, retryAfter: number, detail: string): FastifyReply {
  const problem = toProblem(platformErrors.create('OVERLOADED', detail), req.url);
  return reply.status(503).header('retry-after', String(retryAfter)).type('application/problem+json').send(problem);
}

/** What the edge tells the rest of the process about its load. */
export interface EdgePressure {
  /**
   * True while the edge is at its in-flight limit, has shed a request in the last 250 ms, or sees an
   * event-loop delay past 50 ms (or half its limit, if lower): background work (broker consumers)
   * should step back.
   */
  busy(): boolean;
}

const BUSY_HOLD_MS = 250;
/** Event-loop delay at which admitted requests already wait noticeably: background work steps back long before shedding starts. */
const BUSY_LAG_MS = 50;

/**
 * Sheds load at the edge (the job @fastify/under-pressure does, with a drift sampler that does not
 * report an infinite delay for a sampling period in which no sample landed), before any parsing, auth or database work: a request that arrives while
 * too many are in flight, or while the event loop lags or the heap is past its limit, gets a fast
 * 503 problem+json (code OVERLOADED) with `Retry-After`.
 */
export async function registerLoadShedding(app: FastifyInstance, opts: LoadSheddingOptions): Promise<EdgePressure> {
  let inFlight = 0;
  let shedAt = -Infinity;
  let pressure: ReturnType<typeof startPressureSampler> | undefined;
  const onShed = (reason: 'in_flight' | 'event_loop_delay' | 'heap') => {
    shedAt = performance.now();
    opts.onShed?.(reason);
  };
  if (opts.maxInFlight > 0) {
    app.addHook('onRequest', (req, reply, done) => {
      if (EXEMPT.has(req.url.split('?')[0]!)) return done();
      if (inFlight >= opts.maxInFlight) {
        onShed('in_flight');
        shed(req, reply, opts.retryAfterSeconds, `${inFlight} requests in flight, the limit is ${opts.maxInFlight}`);
        return; // answered: the request goes no further
      }
      inFlight++;
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          inFlight--;
        }
      };
      reply.raw.once('finish', release);
      reply.raw.once('close', release);
      done();
    });
  }
  if (opts.maxEventLoopDelayMs > 0 || opts.maxHeapUsedMb > 0) {
    const sampler = (pressure = startPressureSampler());
    app.addHook('onClose', async () => sampler.stop());
    // Start-up work (migrations, module loading) blocks the loop on purpose; measure from listening on.
    app.addHook('onListen', async () => sampler.reset());
    app.addHook('onRequest', (req, reply, done) => {
      if (EXEMPT.has(req.url.split('?')[0]!)) return done();
      const lag = sampler.eventLoopDelayMs();
      if (opts.maxEventLoopDelayMs > 0 && lag > opts.maxEventLoopDelayMs) {
        onShed('event_loop_delay');
        shed(req, reply, opts.retryAfterSeconds, `event loop delay ${Math.round(lag)} ms is past ${opts.maxEventLoopDelayMs} ms`);
        return;
      }
      const heapMb = sampler.heapUsedMb();
      if (opts.maxHeapUsedMb > 0 && heapMb > opts.maxHeapUsedMb) {
        onShed('heap');
        shed(req, reply, opts.retryAfterSeconds, `heap used ${Math.round(heapMb)} MiB is past ${opts.maxHeapUsedMb} MiB`);
        return;
      }
      done();
    });
  }
  return {
    busy: () =>
      (opts.maxInFlight > 0 && inFlight >= opts.maxInFlight) ||
      performance.now() - shedAt < BUSY_HOLD_MS ||
      (pressure !== undefined && opts.maxEventLoopDelayMs > 0 && pressure.eventLoopDelayMs() > Math.min(BUSY_LAG_MS, opts.maxEventLoopDelayMs / 2)),
  };
}

const TICK_MS = 50;
const WINDOW = 10;

/**
 * Event-loop delay as timer drift: a 50 ms timer records how late it fired; the delay is the worst
 * of the last 10 ticks (0.5 s), so one long block sheds for half a second after it, not for a whole
 * sampling period, and a fresh process starts at 0.
 */
function startPressureSampler() {
  const lags: number[] = [];
  let heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  let last = performance.now();
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - TICK_MS));
    if (lags.length > WINDOW) lags.shift();
    last = now;
    if (++ticks % 20 === 0) heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  }, TICK_MS);
  timer.unref();
  return {
    eventLoopDelayMs: () => Math.max(0, performance.now() - last - TICK_MS, ...lags),
    heapUsedMb: () => heapMb,
    reset() {
      lags.length = 0;
      last = performance.now();
    },
    stop: () => clearInterval(timer),
  };
}
