/** Renders rows as aligned columns: text left, numbers (and "-") right. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // A column is right-aligned when every cell is a number, "-", empty, or a word like "error".
  const numeric = header.map((_, i) => rows.some((r) => /\d/.test(r[i] ?? '')) && rows.every((r) => /^[-+\d.,% ]*$|^[a-z ]+$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A number with thousands separators and `digits` decimals; "-" for NaN. */
export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds as "1.2" style, or "-". */
export function ms(n: number): string {
  return Number.isFinite(n) ? (n >= 10 ? fmt(n) : fmt(n, 1)) : '-';
}

/** Percent of one core, or "-" when unknown. */
export function pct(n: number | null): string {
  return n === null || !Number.isFinite(n) ? '-' : `${fmt(n)}%`;
}

/** A ratio with two decimals, or three significant digits when it is below 0.1. */
export function ratioText(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n < 0.1 ? n.toPrecision(3) : fmt(n, 2);
}
