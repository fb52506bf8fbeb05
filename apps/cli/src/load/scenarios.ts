import type { Mix } from './mix.ts';

/** What `orderflow load` sends when `--mix` is not given: mostly orders, some reads. */
export const defaultMix: Mix = { place: 70, get: 25, list: 5 };

/** Defaults of `orderflow load`. */
export const loadDefaults = {
  /** Keep-alive connections the client may open (opened as needed). */
  connections: 128,
  /** A request unanswered this long is an error `timeout`. */
  timeoutMs: 10_000,
} as const;

/** A named capacity tier: how long each step runs and how the baseline is probed. */
export interface CapacityScenario {
  readonly name: 'smoke' | 'default';
  /** Seconds of load per step. */
  readonly stepSeconds: number;
  /** Seconds of the closed-loop probe that places the baseline. */
  readonly probeSeconds: number;
  /** Workers of the closed-loop probe. */
  readonly probeConcurrency: number;
  /** Baseline = this share of the probe's throughput, so 10x baseline lies past the probed ceiling. */
  readonly baselineShare: number;
  /** Longest wait between steps for the target's backlog (consumer lag, outbox) to clear. */
  readonly settleSeconds: number;
  /** Steps from 1x up to this multiple of the baseline (at least MIN_STEPS). */
  readonly maxMultiple: number;
}

/** What `orderflow capacity` runs by default: 10 s steps (about 3 minutes in all). */
export const defaultCapacity: CapacityScenario = {
  name: 'default',
  stepSeconds: 10,
  probeSeconds: 5,
  probeConcurrency: 32,
  baselineShare: 0.2,
  settleSeconds: 20,
  maxMultiple: 10,
};

/**
 * The test's short run: 1 s steps, 1x..6x of a baseline at 0.35 of the probe (so it still ends
 * past the probed ceiling, in 6 steps instead of 10).
 */
export const smokeCapacity: CapacityScenario = { ...defaultCapacity, name: 'smoke', stepSeconds: 1, probeSeconds: 1.5, settleSeconds: 3, baselineShare: 0.35, maxMultiple: 6 };

/** Fewest steps a capacity run makes. */
export const MIN_STEPS = 5;
