import type { CapacityStep } from './analysis.ts';
import type { CapacityResult } from './capacity.ts';
import { countsLine, ms, num } from './format.ts';
import { formatMix } from './mix.ts';

const mb = (n: number | null): string => (n === null ? 'n/a' : `${n.toFixed(0)} MB`);
const met = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? 'met' : '**not met**');

function stepRow(s: CapacityStep, i: number, kneeIndex: number | null): string {
  const g = s.signals;
  return `| ${i + 1}${i === kneeIndex ? ' (knee)' : ''} | ${num(s.multiple, 1)}x | ${num(s.offeredRate, 1)} | ${num(s.throughput, 1)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${ms(s.p999Ms)} | ${num(s.errorRate * 100, 2)} | ${num(g.processCpuCores ?? NaN, 2)} | ${num(g.machineCpuBusy === null ? NaN : g.machineCpuBusy * 100)} | ${ms(g.eventLoopDelayP99Ms ?? NaN)} | ${num(g.consumerLag)} | ${num(g.outboxAgeS, 2)} | ${g.breakersNotClosed.join(',') || '-'} | ${num(g.rssMb ?? NaN)} | ${s.settleS === null ? '>wait' : num(s.settleS, 1)} | ${ms(s.generatorLagP99Ms)} |`;
}

/** What the step at `multiple` x the baseline (or the highest one run) looked like, in a sentence. */
function tenX(r: CapacityResult): string {
  const ten = r.steps.find((s) => Math.abs(s.multiple - 10) < 0.05);
  const s = ten ?? r.steps[r.steps.length - 1];
  if (!s) return 'no step ran.';
  const served = s.throughput >= 0.9 * s.offeredRate && s.errorRate <= 0.01;
  const lead = ten ? `10x the baseline (${num(s.offeredRate)} req/s)` : `10x the baseline was not run; the highest step, ${num(s.multiple, 1)}x (${num(s.offeredRate)} req/s),`;
  return `${lead} was ${served ? 'served' : '**not served**'}: ${num(s.throughput)} req/s came back, p50 ${ms(s.p50Ms)} ms, p99 ${ms(s.p99Ms)} ms, p99.9 ${ms(s.p999Ms)} ms, errors ${num(s.errorRate * 100, 1)} % (${countsLine({ ...s.statuses, ...s.errors })}); process CPU ${num(s.signals.processCpuCores ?? NaN, 2)} cores, RSS ${mb(s.signals.rssMb)}.`;
}

/** The plain capacity report (capacity.md). `command` is quoted so the run can be repeated. */
export function capacityMarkdown(r: CapacityResult, command: string): string {
  const k = r.knee;
  const b = r.bottleneck;
  const kneeIndex = k.found ? k.stepIndex : null;
  const baseline =
    r.baseline.source === 'flag'
      ? `${num(r.baseline.rate, 1)} req/s (given with --baseline)`
      : `${num(r.baseline.rate, 1)} req/s, measured: ${r.scenario.baselineShare} × what ${r.baseline.probeConcurrency} workers got flat out in ${r.scenario.probeSeconds} s, counting the time its backlog took to drain (${num(r.baseline.probeThroughput ?? NaN)} req/s), so 10x lies past the probed ceiling`;
  return [
    `# Capacity of ${r.target}`,
    '',
    `\`${command}\` — ${r.generatedAt}, ${r.machine.cpus} CPUs, load average at start ${r.machine.loadAvgAtStart.join(' ')}. The load generator ran on ${r.machine.cpus <= 2 ? 'this same small machine, so it competes with the target for CPU' : 'this machine'}; mix ${formatMix(r.mix)}, ${r.scenario.stepSeconds} s per step, open model (latency from each request's intended send time).`,
    '',
    '## Answers',
    '',
    `- **Baseline:** ${baseline}.`,
    `- **What 10x looks like:** ${tenX(r)}`,
    k.found
      ? `- **Knee:** ${num(k.offeredRate, 1)} req/s offered (step ${k.stepIndex + 1}): served ${num(k.throughput, 1)} req/s with p99 ${ms(k.p99Ms)} ms. The next step (${num(k.brokeAt.offeredRate, 1)} req/s) broke: ${k.brokeAt.reasons.join('; ')}. That is the ceiling today: ${num(k.offeredRate / r.baseline.rate, 1)}x the baseline.`
      : `- **Knee:** not found — ${k.reason}.`,
    `- **Breaks first:** ${b.resource}. Evidence: ${b.evidence}.`,
    ...(b.crossings.length > 1 ? [`  Then: ${b.crossings.slice(1).map((c) => `${c.resource} (step ${c.stepIndex + 1})`).join('; ')}.`] : []),
    `- **What to change or scale:** ${b.advice || 'nothing saturated in the range measured'}.`,
    `- **Memory (RSS of the target):** idle ${mb(r.rss.idleMb)} (target < ${r.rss.idleTargetMb} MB: ${met(r.rss.idleMet)}), at the knee ${mb(r.rss.kneeMb)} (target < ${r.rss.kneeTargetMb} MB: ${met(r.rss.kneeMet)}), highest in the run ${mb(r.rss.maxMb)}.`,
    ...(r.stoppedEarly ? [`- **Stopped early:** ${r.stoppedEarly}.`] : []),
    ...b.caveats.map((c) => `- **Caveat:** ${c}.`),
    '',
    '## Steps',
    '',
    '| step | x | offered/s | served/s | p50 ms | p99 ms | p99.9 ms | errors % | cpu cores | machine cpu % | loop p99 ms | max lag | outbox age s | breakers | rss MB | settle s | gen lag p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.steps.map((s, i) => stepRow(s, i, kneeIndex)),
    '',
    '![latency and throughput against offered load](capacity.svg)',
    '',
    '## How this was judged',
    '',
    '- A step is served well while it returns at least 90 % of the offered rate, errors stay at or below 1 %, and p99 stays within 5x the first step\'s p99 (at least 100 ms), and the backlog the step leaves in the pipeline (consumer lag, outbox) drains within half the step\'s length (at least 1 s). The knee is the last step served well.',
    '- A resource counts as saturated at: process CPU ≥ 0.9 cores (one Node.js thread), event-loop delay p99 ≥ 100 ms, a consumer lag growing past one second of arrivals, an outbox row older than 1 s, any caller waiting for a database connection (where the target reports `orderflow_db_pool_waiting`), a breaker not closed, a bulkhead queue, RSS ≥ 500 MB, or the whole machine ≥ 95 % busy. The first to cross, step by step, is named.',
    '- gen lag = how late the load generator itself sent (it shares the machine): past a few ms, part of the latency is the generator\'s.',
    '- Signals come from the target\'s `/metrics` (scraped every second); machine CPU from /proc/stat of the machine running the load. Against several instances, `/metrics` is one instance\'s.',
    '',
  ].join('\n');
}
