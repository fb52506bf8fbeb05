/**
 * `npm run bench [-- <benchmark>...] [--smoke | --tier smoke|ci|default] [--runs N]
 *  [--duration S] [--connections C] [--rate R]`
 *
 * Runs the named benchmarks (all when none is named), prints one report each, and writes
 * everything with machine facts to bench/results/latest.json. Load goes to 127.0.0.1 only;
 * every child is stopped and every temp dir removed on exit, error or signal.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchmarks, type BenchContext } from './benchmarks/index.ts';
import { tiers, type Scenario, type TierName } from './scenarios.ts';
import { cleanupAll, exitAfterCleanup } from './lib/cleanup.ts';
import { machineFacts } from './lib/machine.ts';
import { resultsDir } from './lib/paths.ts';
import { writeResults } from './lib/results.ts';

const usage = `usage: npm run bench -- [benchmark...] [options]

benchmarks (default: all, in this order):
${benchmarks.map((b) => `  ${b.name.padEnd(8)} ${b.description}`).join('\n')}

options:
  --smoke            quick check: the smoke tier (2 s, 1 run)
  --tier NAME        smoke | ci | default (default: default)
  --runs N           runs per benchmark (interleaved bare/orderflow)
  --duration S       seconds of measured load per run
  --connections C    concurrent connections
  --rate R           offered orders/s for the steady benchmark (default: from intake's e2e)
  --profile          run orderflow under --cpu-prof (bench/results/profiles/) and print where
                     its CPU went (diagnostic: the profiler lowers the figures)
  -h, --help`;

function parseCli(): { names: string[]; scenario: Scenario; rate: number | undefined; profile: boolean } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      smoke: { type: 'boolean', default: false },
      tier: { type: 'string' },
      runs: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const tierName = (values.smoke ? 'smoke' : (values.tier ?? 'default')) as TierName;
  const tier = tiers[tierName];
  if (!tier) throw new UsageError(`unknown tier "${tierName}"; one of ${Object.keys(tiers).join(', ')}`);
  const known = new Set(benchmarks.map((b) => b.name));
  for (const name of positionals) if (!known.has(name)) throw new UsageError(`unknown benchmark "${name}"; one of ${[...known].join(', ')}`);

  const scenario: Scenario = {
    ...tier,
    ...(values.runs === undefined ? {} : { runs: positiveInt('--runs', values.runs) }),
    ...(values.duration === undefined ? {} : { durationS: positiveNumber('--duration', values.duration) }),
    ...(values.connections === undefined ? {} : { connections: positiveInt('--connections', values.connections) }),
  };
  const rate = values.rate === undefined ? undefined : positiveNumber('--rate', values.rate);
  return { names: positionals, scenario, rate, profile: values.profile };
}

class UsageError extends Error {
  override name = 'UsageError';
}

function positiveNumber(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got "${raw}"`);
  return n;
}

function positiveInt(flag: string, raw: string): number {
  const n = positiveNumber(flag, raw);
  if (!Number.isInteger(n)) throw new UsageError(`${flag} must be a whole number, got "${raw}"`);
  return n;
}

/** Upper bound on the whole invocation, so a wedged child can never hang it. */
function budgetS(s: Scenario, count: number): number {
  const perRun = 2 * (s.warmupS + s.durationS) + 60 + s.drainTimeoutS;
  return count * (s.runs * perRun + 2 * s.durationS + 2 * s.drainTimeoutS + 60) + 60;
}

async function main(): Promise<number> {
  const { names, scenario, rate, profile } = parseCli();
  const profileDir = profile ? join(resultsDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;
  const selected = names.length === 0 ? benchmarks : benchmarks.filter((b) => names.includes(b.name));
  const machine = machineFacts();
  const started = Date.now();
  const log = (message: string): void => {
    process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
  };
  const budget = budgetS(scenario, selected.length);
  setTimeout(() => {
    log(`time budget of ${budget} s exceeded; stopping`);
    void exitAfterCleanup(1);
  }, budget * 1000).unref();

  process.stdout.write(
    `orderflow bench: ${selected.map((b) => b.name).join(', ')}; tier ${scenario.name} ` +
      `(${scenario.runs} run(s) × ${scenario.durationS} s, ${scenario.connections} connections)\n` +
      `machine: ${machine.cpus} cpus (${machine.cpuModel}), node ${machine.node}, load avg ${machine.loadAvg.join(' ')}\n\n`,
  );

  const earlier = new Map<string, unknown>();
  const failures: Record<string, string> = {};
  for (const bench of selected) {
    const ctx: BenchContext = { scenario, earlier, rate, profileDir, log };
    try {
      const result = await bench.run(ctx);
      earlier.set(bench.name, result);
      process.stdout.write(`${bench.report(result)}\n\n`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      failures[bench.name] = message;
      log(`${bench.name} FAILED: ${message}`);
    }
  }

  const path = await writeResults('latest.json', {
    generatedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    elapsedS: (Date.now() - started) / 1000,
    machine,
    scenario,
    profileDir: profileDir ?? null,
    benchmarks: Object.fromEntries(earlier),
    failures,
  });
  process.stdout.write(`results: ${path}\n`);
  return Object.keys(failures).length > 0 ? 1 : 0;
}

try {
  const code = await main();
  await cleanupAll();
  process.exit(code);
} catch (err) {
  process.stderr.write(err instanceof UsageError ? `bench: ${err.message}\n\n${usage}\n` : `bench: ${(err as Error).stack ?? String(err)}\n`);
  await exitAfterCleanup(err instanceof UsageError ? 2 : 1);
}
