import { createLogDestination, createLogger, registerTracing, startRuntime, type Config, type Runtime } from '@orderflow/platform';
import { createOrdersService } from '@orderflow/orders';
import { createInventoryService } from '@orderflow/inventory';
import { openPipelineParts } from './pipeline-parts.ts';
import { startPipelineWorker, type PipelineWorker } from './pipeline-host.ts';

/**
 * The embedded composition root: all four services in one process and on one port, a SQLite file
 * each, the durable local broker, the built-in payment simulator unless ORDERFLOW_PAYMENT_URL is
 * set, and the mail sink unless ORDERFLOW_SMTP_URL is set.
 *
 * With ORDERFLOW_PIPELINE=worker (the default) the process has two threads: this one is the HTTP
 * edge (intake, reads, admin, /metrics, with the orders and inventory routes), and a worker thread
 * runs the pipeline (outbox relays, every consumer, background jobs, simulator, mailer). The edge
 * never waits for the pipeline: an order is accepted when its row and outbox row commit.
 */
export async function startEmbedded(config: Config): Promise<Runtime & { paymentUrl: string }> {
  // The one place a tracer provider is registered for this thread (STYLE rule 12); ORDERFLOW_TRACING=off leaves the API a no-op.
  const tracing = registerTracing({
    enabled: config.tracing.enabled,
    dataDir: config.dataDir,
    maxSpans: config.tracing.maxSpans,
    otlpEndpoint: config.tracing.otlpEndpoint,
  });
  if (config.pipeline === 'inline') {
    const parts = await openPipelineParts(config);
    const runtime = await startRuntime({
      config,
      resilience: parts.kit,
      spanStore: tracing.store,
      services: [createOrdersService(), createInventoryService(), ...parts.services],
      onStopped: async () => {
        await tracing.shutdown();
        await parts.close();
      },
    });
    runtime.logger.info({ paymentUrl: parts.paymentUrl, simulator: parts.simulator, pipeline: 'inline' }, 'embedded mode');
    return Object.assign(runtime, { paymentUrl: parts.paymentUrl });
  }

  const out = createLogDestination();
  const logger = createLogger({ level: config.logLevel, destination: out });
  let pipeline: PipelineWorker | undefined;
  let edge: Runtime | undefined;
  edge = await startRuntime({
    config,
    logger,
    role: 'edge',
    spanStore: tracing.store,
    services: [createOrdersService(), createInventoryService()],
    onOutboxCommit: (service) => pipeline?.outboxCommitted(service),
    // The edge's migrations and keys exist before the worker opens the same files.
    beforeListen: async () => {
      pipeline = await startPipelineWorker({ config, logger, write: (lines) => out.write(lines), isBusy: () => edge?.busy() ?? false });
    },
    afterListen: () => pipeline!.consume(),
    peer: {
      metrics: () => pipeline?.metrics() ?? Promise.resolve([]),
      resilience: () => pipeline?.resilience() ?? Promise.resolve([]),
    },
    onStopped: async () => {
      await pipeline?.stop();
      await tracing.shutdown();
    },
  });
  const paymentUrl = pipeline!.paymentUrl;
  logger.info({ paymentUrl, simulator: pipeline!.simulator, pipeline: 'worker' }, 'embedded mode');
  return Object.assign(edge, { paymentUrl });
}
