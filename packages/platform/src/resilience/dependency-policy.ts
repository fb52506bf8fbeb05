import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  fullJitterGenerator,
  handleWhen,
  retry,
  timeout,
} from 'cockatiel';
import { isNonRetryable } from '../broker/broker.ts';
import type { DependencyPolicyOptions } from './dependency-policy-options.ts';
import type { BreakerState, ResilienceEvent, ResilienceListener } from './events.ts';
import { resilienceErrors } from './resilience-errors.ts';

/** Counts per event type, plus the breaker's current state: what observability and tests read. */
export interface DependencyStats {
  dependency: string;
  breaker: BreakerState;
  inFlight: number;
  queued: number;
  calls: number;
  failures: number;
  retries: number;
  timeouts: number;
  bulkheadRejected: number;
  circuitRejected: number;
  breakerOpened: number;
}

export interface DependencyPolicy {
  readonly dependency: string;
  /**
   * Runs one outside call under the policy: bulkhead, then retries (at most `maxAttempts`),
   * then the breaker, then the time budget. `fn` gets an AbortSignal that fires at the budget.
   * `{ bulkhead: false }` skips the bulkhead, for a call made while holding a slot already (a
   * statement on a pooled connection that was acquired under the bulkhead). `{ observe: false }`
   * still refuses while the breaker is open but does not count the outcome, for a call that tells
   * nothing about the dependency's health (handing out an idle pooled connection).
   * @throws AppError DEPENDENCY_TIMEOUT, DEPENDENCY_CIRCUIT_OPEN or DEPENDENCY_BULKHEAD_FULL
   *   (all retryable), or the call's own last error.
   */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: { bulkhead?: boolean; observe?: boolean }): Promise<T>;
  stats(): DependencyStats;
  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: ResilienceListener): () => void;
}

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

const isKitRejection = (e: unknown) => e instanceof BrokenCircuitError || e instanceof IsolatedCircuitError || e instanceof BulkheadRejectedError;
/** Failures that say something about the dependency's health: not our own rejections, not permanent answers. */
const isTransient = (e: unknown) => !isKitRejection(e) && !isNonRetryable(e);
const isTimeout = (e: unknown) => resilienceErrors.is(e, 'DEPENDENCY_TIMEOUT');

/**
 * One dependency's policy built from cockatiel: bulkhead(concurrency, queue) → retry (capped
 * exponential backoff, full jitter; only transient errors) → consecutive-failure circuit breaker →
 * aggressive timeout. Permanent errors (`retryable: false`) pass through untouched and do not
 * count against the breaker.
 * `isFailure` narrows which errors are the dependency's fault (counted by the breaker, retried): a
 * database's constraint violation is an answer, not an outage. The kit's own rejections and
 * `retryable: false` errors never count.
 * @throws RangeError for out-of-range options (maxAttempts outside 1..3, non-positive limits).
 */
export function createDependencyPolicy(dependency: string, opts: DependencyPolicyOptions, isFailure: (e: unknown) => boolean = () => true): DependencyPolicy {
  if (!Number.isInteger(opts.maxAttempts) || opts.maxAttempts < 1 || opts.maxAttempts > 3) throw new RangeError(`${dependency}: maxAttempts must be 1..3, got ${opts.maxAttempts}`);
  for (const k of ['timeoutMs', 'breakerThreshold', 'breakerHalfOpenMs', 'concurrency'] as const) {
    if (!(opts[k] > 0)) throw new RangeError(`${dependency}: ${k} must be > 0, got ${opts[k]}`);
  }
  const listeners = new Set<ResilienceListener>();
  const emit = (e: ResilienceEvent) => {
    for (const l of listeners) l(e);
  };
  const counts = { calls: 0, failures: 0, retries: 0, timeouts: 0, bulkheadRejected: 0, circuitRejected: 0, breakerOpened: 0 };

  const bh = bulkhead(opts.concurrency, opts.queue);
  const countsAgainst = (e: unknown) => isTransient(e) && (isTimeout(e) || isFailure(e));
  const rt = retry(handleWhen(countsAgainst), {
    maxAttempts: opts.maxAttempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: opts.backoffBaseMs, maxDelay: opts.backoffCapMs, generator: fullJitterGenerator }),
  });
  const cb = circuitBreaker(handleWhen(countsAgainst), { halfOpenAfter: opts.breakerHalfOpenMs, breaker: new ConsecutiveBreaker(opts.breakerThreshold) });
  const to = timeout(opts.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });

  rt.onRetry((r) => {
    counts.retries++;
    emit({ dependency, type: 'retry', attempt: r.attempt, delayMs: r.delay, error: 'error' in r ? r.error : undefined });
  });
  rt.onGiveUp((r) => emit({ dependency, type: 'give_up', error: 'error' in r ? r.error : undefined }));
  to.onTimeout(() => {
    counts.timeouts++;
    emit({ dependency, type: 'timeout' });
  });
  let openedAt = 0;
  cb.onStateChange((s) => {
    if (s === CircuitState.Open) {
      counts.breakerOpened++;
      openedAt = performance.now();
    }
    emit({ dependency, type: 'breaker_state', state: BREAKER_STATES[s] });
  });

  const translate = (e: unknown): unknown => {
    if (e instanceof TaskCancelledError) return resilienceErrors.create('DEPENDENCY_TIMEOUT', `${dependency}: no answer within ${opts.timeoutMs} ms`, { cause: e, extensions: { dependency } });
    if (e instanceof BrokenCircuitError || e instanceof IsolatedCircuitError) {
      counts.circuitRejected++;
      emit({ dependency, type: 'circuit_rejected' });
      // When the breaker will let a call through again: the caller's retry layer waits at least that long.
      const retryAfterMs = Math.max(0, Math.ceil(openedAt + opts.breakerHalfOpenMs - performance.now()));
      return resilienceErrors.create('DEPENDENCY_CIRCUIT_OPEN', `${dependency}: circuit open after repeated failures`, { cause: e, extensions: { dependency, retryAfterMs } });
    }
    if (e instanceof BulkheadRejectedError) {
      counts.bulkheadRejected++;
      emit({ dependency, type: 'bulkhead_rejected' });
      return resilienceErrors.create('DEPENDENCY_BULKHEAD_FULL', `${dependency}: ${opts.concurrency} calls in flight and ${opts.queue} queued`, { cause: e, extensions: { dependency } });
    }
    return e;
  };

  return {
    dependency,
    async execute<T>(fn: (signal: AbortSignal) => Promise<T>, execOpts?: { bulkhead?: boolean; observe?: boolean }): Promise<T> {
      counts.calls++;
      // Each attempt maps a timeout to our error before the breaker and retry see it.
      const timed = async () => {
        try {
          return await to.execute(({ signal }) => fn(signal));
        } catch (e) {
          throw e instanceof TaskCancelledError ? translate(e) : e;
        }
      };
      // Unobserved calls are refused while the breaker is open; once it is due to half-open they
      // pass, and the next observed call (which moves cockatiel's breaker to half-open) is the probe.
      const gate = () => {
        if (cb.state === CircuitState.Open && performance.now() - openedAt < opts.breakerHalfOpenMs) throw new BrokenCircuitError();
        if (cb.state === CircuitState.Isolated) throw new IsolatedCircuitError();
        return timed();
      };
      const attempts = () => rt.execute(() => (execOpts?.observe === false ? gate() : cb.execute(timed)));
      try {
        return await (execOpts?.bulkhead === false ? attempts() : bh.execute(attempts));
      } catch (e) {
        counts.failures++;
        throw translate(e);
      }
    },
    stats: () => ({ dependency, breaker: BREAKER_STATES[cb.state], inFlight: opts.concurrency - bh.executionSlots, queued: opts.queue - bh.queueSlots, ...counts }),
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
