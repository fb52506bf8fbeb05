/**
 * `npm run bench:tracing [-- --smoke | --tier smoke|ci|default]`: the tracing benchmark alone
 * (also registered in `npm run bench` as `tracing`). Load goes to 127.0.0.1 only; children and
 * temp dirs are cleaned up on exit.
 */
import { parseArgs } from 'node:util';
import { tracing } from './benchmarks/tracing.ts';
import { tiers, type TierName } from './scenarios.ts';
import { cleanupAll, exitAfterCleanup } from './lib/cleanup.ts';

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, tier: { type: 'string' } } });
const name = (values.smoke ? 'smoke' : (values.tier ?? 'ci')) as TierName;
const scenario = tiers[name];
if (!scenario) {
  process.stderr.write(`unknown tier "${name}"; one of ${Object.keys(tiers).join(', ')}\n`);
  process.exit(2);
}
const started = Date.now();
try {
  const result = await tracing.run({
    scenario,
    earlier: new Map(),
    rate: undefined,
    profileDir: undefined,
    log: (m) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`),
  });
  process.stdout.write(`${tracing.report(result)}\n`);
  await cleanupAll();
  process.exit(0);
} catch (err) {
  process.stderr.write(`bench:tracing: ${(err as Error).stack ?? String(err)}\n`);
  await exitAfterCleanup(1);
}
