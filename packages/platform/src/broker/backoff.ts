/**
 * Capped exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): a uniform delay in [0, min(cap, base * 2^(attempt-1))]. Spreads retries of many
 * clients so they do not hit a recovering dependency together.
 */
export function fullJitterBackoff(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
