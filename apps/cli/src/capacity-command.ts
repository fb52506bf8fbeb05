import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { adminKeyFrom } from './keys.ts';
import { runCapacity } from './load/capacity.ts';
import { capacityMarkdown } from './load/capacity-report.ts';
import { capacitySpec, renderChart } from './load/chart.ts';
import { OptionError, parsePositive, parseSeconds, parseTarget } from './load/durations.ts';
import { MixError, parseMix } from './load/mix.ts';
import { progressBar } from './load/progress.ts';
import { defaultCapacity, defaultMix, loadDefaults, smokeCapacity } from './load/scenarios.ts';
import { SetupError } from './load/orderflow-target.ts';

export interface CapacityCommandOptions {
  target: string;
  adminKey?: string | undefined;
  out: string;
  maxRate?: string | undefined;
  stepSeconds?: string | undefined;
  baseline?: string | undefined;
  mix?: string | undefined;
  connections?: string | undefined;
  smoke?: boolean | undefined;
  json?: boolean | undefined;
}

/**
 * `orderflow capacity`: steps the offered load from 1x to 10x of a baseline and writes
 * capacity.json, capacity.svg, capacity.png and capacity.md into `--out`.
 * Returns the exit code: 0 written, 1 the target failed, 2 bad options.
 */
export async function capacityCommand(opts: CapacityCommandOptions, argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    const tier = opts.smoke ? smokeCapacity : defaultCapacity;
    parsed = {
      url: parseTarget(opts.target),
      out: resolve(opts.out),
      maxRate: opts.maxRate === undefined ? undefined : parsePositive('--max-rate', opts.maxRate),
      baseline: opts.baseline === undefined ? undefined : parsePositive('--baseline', opts.baseline),
      scenario: opts.stepSeconds === undefined ? tier : { ...tier, stepSeconds: parseSeconds('--step-seconds', opts.stepSeconds) },
      mix: opts.mix === undefined ? defaultMix : parseMix(opts.mix),
      connections: opts.connections === undefined ? loadDefaults.connections : parsePositive('--connections', opts.connections, true),
    };
  } catch (err) {
    if (err instanceof OptionError || err instanceof MixError) {
      process.stderr.write(`orderflow capacity: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const adminKey = adminKeyFrom(opts);
  if (!adminKey) {
    process.stderr.write('orderflow capacity: no admin key: pass --admin-key, set ORDERFLOW_ADMIN_KEY, or run where <data dir>/admin.key exists\n');
    return 2;
  }
  const bar = opts.json ? undefined : progressBar('step');
  let result;
  try {
    result = await runCapacity({
      ...parsed,
      adminKey,
      log: (m) => {
        bar?.stop();
        process.stderr.write(`capacity: ${m}\n`);
      },
      onProgress: (_i, _n, _rate, p) => bar?.update(p),
    });
  } catch (err) {
    bar?.stop();
    process.stderr.write(`orderflow capacity: ${err instanceof SetupError ? err.message : (err as Error).message}\n`);
    return 1;
  }
  bar?.stop();
  const command = `orderflow capacity ${argv.filter((a, i, all) => a !== '--admin-key' && all[i - 1] !== '--admin-key' && !a.startsWith('--admin-key=')).join(' ')}`.trim();
  await mkdir(parsed.out, { recursive: true });
  const { svg, png } = await renderChart(capacitySpec(result.steps, result.knee, `orderflow capacity: ${parsed.url}`));
  await writeFile(join(parsed.out, 'capacity.json'), `${JSON.stringify({ command, ...result }, null, 2)}\n`);
  await writeFile(join(parsed.out, 'capacity.svg'), svg);
  await writeFile(join(parsed.out, 'capacity.png'), png);
  const md = capacityMarkdown(result, command);
  await writeFile(join(parsed.out, 'capacity.md'), md);
  if (opts.json) process.stdout.write(`${JSON.stringify({ command, ...result }, null, 2)}\n`);
  else process.stdout.write(`${md}\nwritten: ${['capacity.json', 'capacity.svg', 'capacity.png', 'capacity.md'].map((f) => join(parsed.out, f)).join(', ')}\n`);
  return 0;
}
