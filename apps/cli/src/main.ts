import { Command } from '@commander-js/extra-typings';
import { loadConfig, stopOnSignals } from '@orderflow/platform';
import { startEmbedded } from './embedded.ts';
import { deadLetters } from './dead-letters.ts';
import { reconcileCommand } from './reconcile.ts';

const program = new Command('orderflow').description('Order processing that does not break at scale').showHelpAfterError();

program
  .command('start')
  .description('run all four services in one process (embedded mode)')
  .action(async () => {
    const runtime = await startEmbedded(loadConfig());
    stopOnSignals(runtime, runtime.logger);
  });

const dl = program.command('dead-letters').description('list and replay messages that could not be handled');
dl.command('list')
  .option('--json', 'machine-readable output')
  .option('--consumer <name>', 'only this consumer')
  .action(async (opts) => {
    process.exitCode = await deadLetters('list', undefined, opts);
  });
dl.command('replay')
  .argument('<id>', 'dead letter id, as listed')
  .action(async (id) => {
    process.exitCode = await deadLetters('replay', id, {});
  });

program
  .command('reconcile')
  .description("compare the payment provider's charges with orders; --repair refunds orphan and duplicate charges")
  .option('--repair', 'refund charges of cancelled orders and every charge past the first')
  .option('--json', 'machine-readable output')
  .action(async (opts) => {
    process.exitCode = await reconcileCommand(opts);
  });

await program.parseAsync(process.argv);
