import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, registerTracing, startRuntime, type Config, type Runtime } from '@orderflow/platform';
import { createOrdersService } from '@orderflow/orders';
import { createInventoryService } from '@orderflow/inventory';
import { openPipelineParts } from './pipeline-parts.ts';
import type { ToEdge, ToPipeline } from './pipeline-protocol.ts';

/**
 * The pipeline thread of embedded mode: the outbox relays, every consumer, the background jobs,
 * the payment simulator and the mailer, on their own event loop, so the HTTP edge's thread only
 * takes requests. Started by `startPipelineWorker`; speaks the messages of pipeline-protocol.ts.
 */
const port = parentPort!;
const { config, busy } = workerData as { config: Config; busy: Int32Array };
const send = (m: ToEdge) => port.postMessage(m);

// Log lines go to the edge thread, which writes them with its own: one writer on stdout, whole lines.
let pending = '';
let scheduled = false;
const flushLogs = () => {
  scheduled = false;
  if (pending === '') return;
  send({ t: 'log', lines: pending });
  pending = '';
};
const logStream = {
  write(line: string) {
    pending += line;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushLogs);
    }
    return true;
  },
  flush: flushLogs,
  flushSync: flushLogs,
};

async function main(): Promise<void> {
  const logger = createLogger({ level: config.logLevel, destination: logStream });
  const tracing = registerTracing({ enabled: config.tracing.enabled, dataDir: config.dataDir, maxSpans: config.tracing.maxSpans, otlpEndpoint: config.tracing.otlpEndpoint });
  const parts = await openPipelineParts(config);
  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      config,
      role: 'pipeline',
      logger,
      resilience: parts.kit,
      spanStore: tracing.store,
      isEdgeBusy: () => Atomics.load(busy, 0) === 1,
      services: [createOrdersService(), createInventoryService(), ...parts.services],
      onStopped: async () => {
        await tracing.shutdown();
        await parts.close();
      },
    });
  } catch (error) {
    await parts.close();
    throw error;
  }
  port.on('message', (m: ToPipeline) => {
    switch (m.t) {
      case 'commits':
        for (const s of m.services) runtime.notifyOutbox(s);
        return;
      case 'call': {
        const answer = m.method === 'metrics' ? runtime.metrics.registry.getMetricsAsJSON() : Promise.resolve(runtime.resilienceStats());
        answer.then(
          (value) => send({ t: 'result', id: m.id, value }),
          (error: unknown) => send({ t: 'result', id: m.id, error: String(error) }),
        );
        return;
      }
      case 'consume':
        void runtime.startConsumers().then(
          () => send({ t: 'consuming' }),
          (error: unknown) => send({ t: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
        );
        return;
      case 'stop':
        void runtime.stop().then(
          () => {
            flushLogs();
            send({ t: 'stopped' });
            port.close();
          },
          (error: unknown) => {
            flushLogs();
            send({ t: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
          },
        );
        return;
    }
  });
  flushLogs();
  send({ t: 'ready', paymentUrl: parts.paymentUrl, simulator: parts.simulator });
}

main().catch((error: unknown) => {
  flushLogs();
  send({ t: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
