/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** a / b, NaN unless both are finite and b > 0. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN;
}

/** The verdict word for a ratio against its target. */
export function verdict(value: number, target: number): 'PASS' | 'BELOW-TARGET' | 'NO-DATA' {
  if (!Number.isFinite(value)) return 'NO-DATA';
  return value >= target ? 'PASS' : 'BELOW-TARGET';
}
