import { Command, Option } from '@commander-js/extra-typings';
import { loadConfig, stopOnSignals } from '@orderflow/platform';
import { startEmbedded } from './embedded.ts';
import { deadLetters } from './dead-letters.ts';
import { keys } from './keys.ts';
import { slowCommand, traceCommand } from './trace-commands.ts';
import { reconcileCommand } from './reconcile.ts';
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
    // Distributed mode whatever ORDERFLOW_MODE says, and so its defaults (group commit, the cache, no write lane).
    const runtime = await serveService(service, loadConfig({ ...process.env, ORDERFLOW_MODE: 'distributed' }));
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

const keyCmd = program.command('keys').description("create, list and revoke customers' API keys through the running server's admin API");
keyCmd
  .command('create')
  .description('a new key for the customer, printed once; older keys keep working until revoked')
  .argument('<customerId>', 'customer id')
  .addOption(new Option('--url <url>', 'server base URL (default http://127.0.0.1:$ORDERFLOW_PORT)'))
  .addOption(new Option('--admin-key <key>', 'admin key (default $ORDERFLOW_ADMIN_KEY or <data dir>/admin.key)'))
  .option('--json', 'machine-readable output')
  .action(async (customerId, opts) => {
    process.exitCode = await keys({ kind: 'create', customerId }, opts);
  });
keyCmd
  .command('list')
  .description("the customer's keys: ids and dates, never secrets")
  .argument('<customerId>', 'customer id')
  .addOption(new Option('--url <url>', 'server base URL (default http://127.0.0.1:$ORDERFLOW_PORT)'))
  .addOption(new Option('--admin-key <key>', 'admin key (default $ORDERFLOW_ADMIN_KEY or <data dir>/admin.key)'))
  .option('--json', 'machine-readable output')
  .action(async (customerId, opts) => {
    process.exitCode = await keys({ kind: 'list', customerId }, opts);
  });
keyCmd
  .command('revoke')
  .description('revoke a key; it stops working at once')
  .argument('<keyId>', 'key id: the 16 hex digits after ofk_')
  .addOption(new Option('--url <url>', 'server base URL (default http://127.0.0.1:$ORDERFLOW_PORT)'))
  .addOption(new Option('--admin-key <key>', 'admin key (default $ORDERFLOW_ADMIN_KEY or <data dir>/admin.key)'))
  .option('--json', 'machine-readable output')
  .action(async (keyId, opts) => {
    process.exitCode = await keys({ kind: 'revoke', keyId }, opts);
  });

program
  .command('trace')
  .description('print the spans of one trace as a tree (reads ORDERFLOW_DATA_DIR/traces.db)')
  .argument('<traceId>', '32 hex digits, as in the logs (trace_id) or a traceparent')
  .option('--json', 'machine-readable output')
  .action((traceId, opts) => {
    process.exitCode = traceCommand(traceId, opts);
  });

program
  .command('slow')
  .description('the slowest requests, why (their slowest span), and the customers most affected')
  .option('--since <duration>', 'look back this far: 30s, 15m, 2h', '15m')
  .option('--limit <n>', 'requests to list', '10')
  .option('--json', 'machine-readable output')
  .action((opts) => {
    process.exitCode = slowCommand(opts);
  });

program
  .command('reconcile')
  .description("compare the payment provider's charges with orders; --repair refunds orphan and duplicate charges")
  .option('--repair', 'refund charges of cancelled orders and every charge past the first')
  .option('--json', 'machine-readable output')
  .action(async (opts) => {
    process.exitCode = await reconcileCommand(opts);
  });

program
  .command('load')
  .description('open-model load on a running orderflow: arrivals on a schedule, HDR latency from the intended send time, errors by status')
  .requiredOption('--target <url>', 'orderflow base URL, e.g. http://127.0.0.1:8080')
  .requiredOption('--rate <r>', 'arrivals per second')
  .requiredOption('--duration <d>', 'how long: 30, 30s, 2m')
  .option('--mix <mix>', 'share of each request in percent (default place=70,get=25,list=5)')
  .addOption(new Option('--admin-key <key>', 'admin key, to create the run\'s customers and product (default $ORDERFLOW_ADMIN_KEY or <data dir>/admin.key)'))
  .option('--connections <n>', 'keep-alive connections at most (default 128)')
  .option('--customers <n>', 'customers to spread the load over (default: rate / 40, under the per-key rate limit)')
  .option('--timeout <d>', 'a request unanswered this long is an error (default 10s)')
  .option('--json', 'machine-readable output')
  .action(async (opts) => {
    // Loaded on use: the load generator and the chart libraries stay out of the server's memory.
    const { loadCommand } = await import('./load-command.ts');
    process.exitCode = await loadCommand(opts);
  });

program
  .command('capacity')
  .description('step the offered load from 1x to 10x of a baseline: knee, first resource to saturate, RSS; writes capacity.{json,svg,png,md}')
  .requiredOption('--target <url>', 'orderflow base URL, e.g. http://127.0.0.1:8080')
  .requiredOption('--out <dir>', 'directory for capacity.json, capacity.svg, capacity.png, capacity.md')
  .addOption(new Option('--admin-key <key>', 'admin key (default $ORDERFLOW_ADMIN_KEY or <data dir>/admin.key)'))
  .option('--max-rate <n>', 'highest rate to offer (default 10x the baseline)')
  .option('--step-seconds <s>', 'seconds per step (default 10)')
  .option('--baseline <r>', "today's rate in req/s (default: one fifth of a short flat-out probe)")
  .option('--mix <mix>', 'share of each request in percent (default place=70,get=25,list=5)')
  .option('--connections <n>', 'keep-alive connections at most (default 128)')
  .option('--smoke', 'the short tier: 1 s steps, short probe and settle waits')
  .option('--json', 'print capacity.json instead of the report')
  .action(async (opts) => {
    const { capacityCommand } = await import('./capacity-command.ts');
    process.exitCode = await capacityCommand(opts, process.argv.slice(3));
  });

await program.parseAsync(process.argv);
