import underPressure from '@fastify/under-pressure';
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
  return reply.status(503).header('retry-after', String(retryAfter)).header('connection', 'close').type('application/problem+json').send(problem);
}

/**
 * Sheds load at the edge, before any parsing, auth or database work: a request that arrives while
 * too many are in flight, or while the event loop lags or the heap is past its limit, gets a fast
 * 503 problem+json (code OVERLOADED) with `Retry-After`.
 */
export async function registerLoadShedding(app: FastifyInstance, opts: LoadSheddingOptions): Promise<void> {
  let inFlight = 0;
  if (opts.maxInFlight > 0) {
    app.addHook('onRequest', async (req, reply) => {
      if (EXEMPT.has(req.url.split('?')[0]!)) return;
      if (inFlight >= opts.maxInFlight) {
        opts.onShed?.('in_flight');
        return shed(req, reply, opts.retryAfterSeconds, `${inFlight} requests in flight, the limit is ${opts.maxInFlight}`);
      }
      inFlight++;
      let done = false;
      const release = () => {
        if (!done) {
          done = true;
          inFlight--;
        }
      };
      reply.raw.once('finish', release);
      reply.raw.once('close', release);
    });
  }
  if (opts.maxEventLoopDelayMs > 0 || opts.maxHeapUsedMb > 0) {
    await app.register(underPressure, {
      ...(opts.maxEventLoopDelayMs > 0 ? { maxEventLoopDelay: opts.maxEventLoopDelayMs } : {}),
      ...(opts.maxHeapUsedMb > 0 ? { maxHeapUsedBytes: opts.maxHeapUsedMb * 1024 * 1024 } : {}),
      retryAfter: opts.retryAfterSeconds,
      pressureHandler: (req, reply, type, value) => {
        if (EXEMPT.has(req.url.split('?')[0]!)) return;
        const reason = type === 'heapUsedBytes' ? 'heap' : 'event_loop_delay';
        opts.onShed?.(reason);
        // A returned value is sent by under-pressure; undefined lets the request through.
        const problem = toProblem(platformErrors.create('OVERLOADED', `${reason} ${Math.round(value ?? 0)} is past its limit`), req.url);
        reply.status(503).header('retry-after', String(opts.retryAfterSeconds)).type('application/problem+json');
        return problem as unknown as void;
      },
    });
  }
}
