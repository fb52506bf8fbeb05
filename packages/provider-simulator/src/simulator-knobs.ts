/** Fault knobs that can be changed while the simulator runs. */
export interface SimulatorKnobs {
  /** Delay in ms before each executed charge or refund is answered. */
  latencyMs: number;
  /** Share (0..1) of charge requests answered 500 `api_error` without creating a charge. */
  failureRate: number;
  /** How many of the next charge requests commit the charge and then never answer. */
  commitThenTimeoutNext: number;
}

/**
 * Checks a partial knob update and returns it with only the given fields.
 * @throws RangeError when a value is out of range (negative latency, rate outside 0..1,
 *   non-integer or negative commitThenTimeoutNext) or not a number.
 */
export function checkKnobs(k: Partial<Record<keyof SimulatorKnobs, unknown>>): Partial<SimulatorKnobs> {
  const out: Partial<SimulatorKnobs> = {};
  if (k.latencyMs !== undefined) {
    if (typeof k.latencyMs !== 'number' || !Number.isFinite(k.latencyMs) || k.latencyMs < 0) {
      throw new RangeError(`latencyMs must be a finite number >= 0, got ${String(k.latencyMs)}`);
    }
    out.latencyMs = k.latencyMs;
  }
  if (k.failureRate !== undefined) {
    if (typeof k.failureRate !== 'number' || !(k.failureRate >= 0 && k.failureRate <= 1)) {
      throw new RangeError(`failureRate must be a number in 0..1, got ${String(k.failureRate)}`);
    }
    out.failureRate = k.failureRate;
  }
  if (k.commitThenTimeoutNext !== undefined) {
    if (!Number.isSafeInteger(k.commitThenTimeoutNext) || (k.commitThenTimeoutNext as number) < 0) {
      throw new RangeError(`commitThenTimeoutNext must be an integer >= 0, got ${String(k.commitThenTimeoutNext)}`);
    }
    out.commitThenTimeoutNext = k.commitThenTimeoutNext as number;
  }
  return out;
}
