import type { LatencySummary } from './latency.ts';
import type { OpenLoopResult } from './open-loop.ts';

/** A number with a fixed number of decimals, or `-` when it is not finite. */
export function num(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** Milliseconds with a precision that suits their size. */
export function ms(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);
}

/** `p50 1.23  p90 ...` for one latency summary. */
export function latencyLine(l: LatencySummary): string {
  return `p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)} ms`;
}

/** `202×1200 503×3`, or `none`. */
export function countsLine(counts: Readonly<Record<string, number>>): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${k}×${n}`);
  return parts.length > 0 ? parts.join(' ') : 'none';
}

/** The human summary of one open-model run. */
export function formatLoadResult(r: OpenLoopResult, target: string): string {
  const lines = [
    `load: ${num(r.offeredRate, 1)} req/s offered for ${num(r.durationS, 1)} s against ${target} (open model)`,
    `  sent ${r.sent} of ${r.scheduled} scheduled; served ${r.ok}; throughput ${num(r.throughput, 1)} req/s; error rate ${num(r.errorRate * 100, 2)} %`,
    `  latency from intended send time, served requests: ${latencyLine(r.latencyMs)}`,
  ];
  for (const [op, o] of Object.entries(r.byOperation)) {
    if (!o) continue;
    lines.push(`    ${op.padEnd(5)} ${String(o.sent).padStart(7)} sent ${String(o.ok).padStart(7)} served  ${latencyLine(o.latencyMs)}`);
  }
  lines.push(`  statuses: ${countsLine(r.statuses)}`, `  no answer: ${countsLine(r.errors)}`);
  lines.push(`  generator send lag: p99 ${ms(r.sendLagMs.p99)} ms, max ${ms(r.sendLagMs.max)} ms${r.sendLagMs.p99 > 10 ? '  (the generator itself fell behind: its machine is busy)' : ''}`);
  return lines.join('\n');
}
