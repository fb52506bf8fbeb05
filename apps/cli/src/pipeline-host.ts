import { Worker } from 'node:worker_threads';
import type { Config, DependencyStats, Logger, MetricsSnapshot, RuntimePeer } from '@orderflow/platform';
import type { ToEdge, ToPipeline } from './pipeline-protocol.ts';

/** The pipeline worker as the edge thread drives it. */
export interface PipelineWorker extends RuntimePeer {
  readonly paymentUrl: string;
  readonly simulator: boolean;
  /** A commit on the edge may have written outbox rows of `service` (told once per event-loop turn). */
  outboxCommitted(service: string): void;
  /** Starts the worker's consumers and relays (once the edge listens); resolves when they run. */
  consume(): Promise<void>;
  /** Graceful: the worker drains its consumers, publishes its outbox and closes; then it exits. */
  stop(): Promise<void>;
}

export interface PipelineWorkerOptions {
  config: Config;
  /** Where the worker's log lines are written (the edge's own log destination). */
  write(lines: string): void;
  logger: Logger;
  /** The edge's overload signal, shared with the worker's consumers. */
  isBusy(): boolean;
}

/**
 * The worker's young generation, capped: V8's default lets each isolate grow its own to 16–32 MB,
 * and a second isolate is the worker mode's whole memory cost (see docs/architecture.md).
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/** How often the edge's overload signal is copied to the worker. */
const BUSY_SYNC_MS = 20;

/**
 * Starts the pipeline worker thread and resolves once its relays and consumers run. A worker that
 * dies after that ends the process: without its pipeline, orders would be accepted and never
 * processed (they wait durably in the outbox; a supervisor's restart picks them up).
 * @throws when the worker fails to start.
 */
export async function startPipelineWorker(opts: PipelineWorkerOptions): Promise<PipelineWorker> {
  const busy = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./pipeline-worker-entry.cjs', import.meta.url), { workerData: { config: opts.config, busy }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
  const send = (m: ToPipeline) => worker.postMessage(m);
  const calls = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let stopping = false;
  let stopped: (() => void) | undefined;
  let consuming: (() => void) | undefined;
  let failed: ((e: Error) => void) | undefined;

  const ready = new Promise<Extract<ToEdge, { t: 'ready' }>>((resolve, reject) => {
    failed = reject;
    worker.on('message', (m: ToEdge) => {
      switch (m.t) {
        case 'log':
          opts.write(m.lines);
          return;
        case 'ready':
          resolve(m);
          return;
        case 'result': {
          const call = calls.get(m.id);
          calls.delete(m.id);
          if (m.error !== undefined) call?.reject(new Error(m.error));
          else call?.resolve(m.value);
          return;
        }
        case 'consuming':
          consuming?.();
          return;
        case 'stopped':
          stopped?.();
          return;
        case 'failed':
          failed?.(new Error(`pipeline worker failed: ${m.error}`));
          return;
      }
    });
  });
  const onDeath = (error: Error) => {
    for (const c of calls.values()) c.reject(error);
    calls.clear();
    if (stopping) return stopped?.();
    if (failed) return failed(error);
  };
  worker.on('error', (error) => onDeath(error));
  worker.on('exit', (code) => onDeath(new Error(`pipeline worker exited (code ${code})`)));

  const info = await ready.catch(async (error: Error) => {
    await worker.terminate();
    throw error;
  });
  // From here on a dead pipeline is fatal for the process.
  failed = (error) => {
    opts.logger.fatal({ err: error }, 'pipeline worker died; exiting so a supervisor restarts the system');
    opts.logger.flush();
    process.exit(1);
  };

  const busyTimer = setInterval(() => Atomics.store(busy, 0, opts.isBusy() ? 1 : 0), BUSY_SYNC_MS);
  busyTimer.unref();
  const committed = new Set<string>();
  let scheduled = false;
  const flushCommits = () => {
    scheduled = false;
    if (stopping || committed.size === 0) return;
    send({ t: 'commits', services: [...committed] });
    committed.clear();
  };
  const call = <T>(method: 'metrics' | 'resilience'): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (stopping) return reject(new Error('pipeline worker is stopping'));
      const id = nextId++;
      calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      send({ t: 'call', id, method });
    });

  return {
    paymentUrl: info.paymentUrl,
    simulator: info.simulator,
    outboxCommitted(service) {
      committed.add(service);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushCommits);
      }
    },
    consume: () =>
      new Promise<void>((resolve) => {
        consuming = resolve;
        send({ t: 'consume' });
      }),
    metrics: () => call<MetricsSnapshot>('metrics'),
    resilience: () => call<DependencyStats[]>('resilience'),
    async stop() {
      if (stopping) return;
      clearInterval(busyTimer);
      // Commits made since the last turn still wake the relays before the worker drains.
      flushCommits();
      stopping = true;
      const done = new Promise<void>((resolve, reject) => {
        stopped = resolve;
        failed = reject;
      });
      send({ t: 'stop' });
      await done;
      await worker.terminate();
    },
  };
}
