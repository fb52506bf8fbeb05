import { Command } from '@commander-js/extra-typings';
import { loadConfig, stopOnSignals } from '@orderflow/platform';
import { startEmbedded } from './embedded.ts';
import { deadLetters } from './dead-letters.ts';
import { serveService, SERVICE_NAMES } from './serve.ts';
import { runSimulator } from './simulator.ts';
import { startCluster } from './cluster.ts';

/**
 * Under `orderflow cluster` (ORDERFLOW_PARENT_PID set): when the launcher is gone, stop gracefully,
 * or exit at once if still starting, so no instance is ever orphaned.
 */
function exitWithParent(): { stopWith(stop: () => Promise<void>): void } {
  let stopFn: (() => Promise<void>) | undefined;
  const parent = Number(process.env.ORDERFLOW_PARENT_PID ?? '0');
  if (parent > 0) {
    setInterval(() => {
      if (process.ppid === parent) return;
      if (!stopFn) process.exit(1);
      void stopFn().finally(() => process.exit(0));
      stopFn = async () => undefined;
    }, 1_000).unref();
  }
  return { stopWith: (fn) => void (stopFn = fn) };
}

const program = new Command('orderflow').description('Order processing that does not break at scale').showHelpAfterError();

program
  .command('start')
  .description('run all four services in one process (embedded mode)')
  .action(async () => {
    const runtime = await startEmbedded(loadConfig());
    stopOnSignals(runtime, runtime.logger);
  });

program
  .command('serve')
  .description(`run one service as its own process on PostgreSQL and NATS (distributed mode): ${SERVICE_NAMES.join(', ')}`)
  .argument('<service>', 'the service to run')
  .action(async (service) => {
    const watch = exitWithParent();
    const runtime = await serveService(service, loadConfig());
    stopOnSignals(runtime, runtime.logger);
    watch.stopWith(() => runtime.stop());
  });

program
  .command('simulator')
  .description('run the payment-provider simulator alone (shared by every payments instance of a cluster)')
  .action(async () => {
    const watch = exitWithParent();
    const sim = await runSimulator(loadConfig());
    stopOnSignals({ stop: () => sim.close() }, { info: () => undefined } as never);
    watch.stopWith(() => sim.close());
  });

program
  .command('cluster')
  .description('run the whole system as separate processes behind HAProxy on ORDERFLOW_PORT (npm run start:cluster)')
  .action(async () => {
    const instances = Number(process.env.ORDERFLOW_CLUSTER_INSTANCES ?? '2');
    const cluster = await startCluster({ config: loadConfig(), instances });
    let signalled = false;
    const onSignal = () => {
      if (signalled) process.exit(1);
      signalled = true;
      void cluster.stop().then(() => process.exit(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
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

await program.parseAsync(process.argv);
