/**
 * What the resilience policy costs per outside call, without I/O: `npm run bench:policy-micro`.
 * In distributed mode every SQL statement and Redis command runs through a dependency policy
 * (bulkhead → retry → breaker → timeout, cockatiel), so its fixed cost is paid many times per order.
 * Modes take turns in short blocks (`--rounds`, default 30, of `--ops`, default 5000) in one
 * process; it prints the median µs per call of each:
 *   bare            an already-resolved promise, awaited
 *   timeout         cockatiel's aggressive timeout as cockatiel defaults it (the signal is aborted
 *                   when the call returns: an abort event and a DOMException per call)
 *   timeout-noabort the same with `abortOnReturn: false` (what the policy uses)
 *   policy          `createDependencyPolicy(...).execute` with the postgres defaults
 */
import { parseArgs } from 'node:util';
import { timeout, TimeoutStrategy } from 'cockatiel';
import { createDependencyPolicy } from '../packages/platform/src/resilience/dependency-policy.ts';
import { dependencyDefaults } from '../packages/platform/src/resilience/dependency-policy-options.ts';
import { median } from './lib/stats.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, ops: { type: 'string', default: '5000' } } });
const rounds = Number(values.rounds);
const ops = Number(values.ops);
if (!(rounds >= 1) || !(ops >= 1)) throw new Error('usage: --rounds N --ops N');

const withAbort = timeout(6_000, TimeoutStrategy.Aggressive);
const withoutAbort = timeout(6_000, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
const policy = createDependencyPolicy('postgres', dependencyDefaults.postgres);
const one = () => Promise.resolve(1);
const modes: Record<string, () => Promise<unknown>> = {
  bare: one,
  timeout: () => withAbort.execute(one),
  'timeout-noabort': () => withoutAbort.execute(one),
  policy: () => policy.execute(one, { bulkhead: false }),
};

const samples = new Map<string, number[]>(Object.keys(modes).map((m) => [m, []]));
for (let r = -2; r < rounds; r++) {
  for (const [name, f] of Object.entries(modes)) {
    const t = performance.now();
    for (let i = 0; i < ops; i++) await f();
    // The first two rounds warm up the JIT and are not counted.
    if (r >= 0) samples.get(name)!.push(((performance.now() - t) * 1000) / ops);
  }
}
console.log(`policy-micro: ${rounds} rounds of ${ops} calls per mode, median µs per call`);
for (const [name, xs] of samples) console.log(`  ${name.padEnd(16)} ${median(xs).toFixed(2)}`);
const t = median(samples.get('timeout')!);
const n = median(samples.get('timeout-noabort')!);
console.log(`abortOnReturn costs ${(t - n).toFixed(2)} µs per call (timeout ${t.toFixed(2)} vs ${n.toFixed(2)}, ${(t / n).toFixed(2)}x)`);
