/**
 * Capped exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): a uniform delay in [0, min(cap, base * 2^(attempt-1))]. Spreads retries of many
 * clients so they do not hit a recovering dependency together.
 */
export function fullJitterBackoff(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The delay before redelivering a message whose handler failed with `error`: full-jitter backoff,
 * but never before the error's own `retryAfterMs` hint (an open circuit breaker says when it will
 * let a call through), spread over [hint, 2 * hint] so the waiting messages do not come back
 * together. Without the hint a stalled dependency's open breaker is asked again by every waiting
 * message many times a second, which costs the event loop that serves requests.
 */
export function redeliveryDelay(error: unknown, attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const backoff = fullJitterBackoff(attempt, baseMs, capMs, random);
  const hint = retryAfterHint(error);
  return hint > 0 ? Math.max(backoff, Math.floor(hint * (1 + random()))) : backoff;
}

/** `extensions.retryAfterMs` of the error or of its causes (a handler may wrap the kit's error). */
function retryAfterHint(error: unknown): number {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const hint = (e as { extensions?: { retryAfterMs?: unknown } }).extensions?.retryAfterMs;
    if (typeof hint === 'number' && Number.isFinite(hint) && hint > 0) return hint;
  }
  return 0;
}
