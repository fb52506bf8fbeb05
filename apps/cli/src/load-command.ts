import { adminKeyFrom } from './keys.ts';
import { OptionError, parsePositive, parseSeconds, parseTarget } from './load/durations.ts';
import { formatLoadResult } from './load/format.ts';
import { formatMix, mixPicker, MixError, parseMix } from './load/mix.ts';
import { runOpenLoop } from './load/open-loop.ts';
import { customersFor, openOrderflowTarget, SetupError } from './load/orderflow-target.ts';
import { progressBar } from './load/progress.ts';
import { defaultMix, loadDefaults } from './load/scenarios.ts';

export interface LoadCommandOptions {
  target: string;
  rate: string;
  duration: string;
  mix?: string | undefined;
  adminKey?: string | undefined;
  connections?: string | undefined;
  customers?: string | undefined;
  timeout?: string | undefined;
  json?: boolean | undefined;
}

/**
 * `orderflow load`: sets up its own customers and product through the admin key, then offers
 * `--rate` requests per second for `--duration` in the `--mix`, and prints what came back.
 * Returns the exit code: 0 done, 1 setup or target failure, 2 bad options.
 */
export async function loadCommand(opts: LoadCommandOptions): Promise<number> {
  let parsed;
  try {
    parsed = {
      url: parseTarget(opts.target),
      rate: parsePositive('--rate', opts.rate),
      durationS: parseSeconds('--duration', opts.duration),
      mix: opts.mix === undefined ? defaultMix : parseMix(opts.mix),
      connections: opts.connections === undefined ? loadDefaults.connections : parsePositive('--connections', opts.connections, true),
      customers: opts.customers === undefined ? undefined : parsePositive('--customers', opts.customers, true),
      timeoutMs: opts.timeout === undefined ? loadDefaults.timeoutMs : parseSeconds('--timeout', opts.timeout) * 1000,
    };
  } catch (err) {
    if (err instanceof OptionError || err instanceof MixError) {
      process.stderr.write(`orderflow load: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const adminKey = adminKeyFrom(opts);
  if (!adminKey) {
    process.stderr.write('orderflow load: no admin key: pass --admin-key, set ORDERFLOW_ADMIN_KEY, or run where <data dir>/admin.key exists\n');
    return 2;
  }
  let target;
  try {
    target = await openOrderflowTarget({ url: parsed.url, adminKey, connections: parsed.connections, customers: parsed.customers ?? customersFor(parsed.rate) });
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    process.stderr.write(`orderflow load: ${err.message}\n`);
    return 1;
  }
  const bar = opts.json ? { update: () => undefined, stop: () => undefined } : progressBar('load');
  try {
    const result = await runOpenLoop({
      rate: parsed.rate,
      durationS: parsed.durationS,
      pick: mixPicker(parsed.mix),
      send: (op, signal) => target.send(op, signal),
      timeoutMs: parsed.timeoutMs,
      onProgress: (p) => bar.update(p),
    });
    bar.stop();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ target: parsed.url, mix: parsed.mix, customers: target.customers, connections: parsed.connections, ...result }, null, 2)}\n`);
    } else {
      process.stdout.write(`${formatLoadResult(result, parsed.url)}\n  mix ${formatMix(parsed.mix)}, ${target.customers} customer(s), up to ${parsed.connections} connections\n`);
    }
    return 0;
  } finally {
    bar.stop();
    await target.close();
  }
}
