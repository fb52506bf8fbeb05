import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { createLogger, type Logger } from '../logger.ts';
import { platformMigrations } from '../db/platform-migrations.ts';
import type { Database } from '../db/database.ts';
import type { Broker } from '../broker/broker.ts';
import { openBroker, openServiceDatabase } from './adapters.ts';
import { createOutboxRelay, type OutboxRelay } from '../outbox/relay.ts';
import { createHttpServer, type HttpServer } from '../http/server.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import { resolveAdminKey } from './admin-key.ts';
import type { ServiceContext, ServiceModule } from './service.ts';

export interface RuntimeOptions {
  config: Config;
  services: readonly ServiceModule[];
  logger?: Logger;
  /** Runs last at shutdown (e.g. closing the built-in payment simulator). */
  onStopped?: () => Promise<void> | void;
}

export interface Runtime {
  readonly http: HttpServer;
  readonly broker: Broker;
  readonly logger: Logger;
  readonly adminKey: string;
  readonly url: string;
  /** Graceful: refuse new requests, drain requests and handlers in flight, publish the outbox, close. */
  stop(): Promise<void>;
}

/**
 * The one bootstrap every process uses, embedded or one service alone: logs, the broker,
 * a database per service with its migrations, an outbox relay per database, the HTTP edge
 * with health and readiness, and graceful shutdown in the right order.
 */
export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config } = opts;
  mkdirSync(config.dataDir, { recursive: true });
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const admin = resolveAdminKey(config.adminKey, config.dataDir);
  const broker = await openBroker(config, logger);

  let ready = false;
  const databases: Database[] = [];
  const relays: OutboxRelay[] = [];
  const stopHooks: Array<() => Promise<void> | void> = [];
  const http = await createHttpServer({ logger, isReady: () => ready });
  registerAdminRoutes(http, { broker, adminKey: admin.key });

  for (const service of opts.services) {
    const log = logger.child({ service: service.name });
    const db = await openServiceDatabase(config, service.name, [...platformMigrations, ...service.migrations], log);
    databases.push(db);
    const relay = createOutboxRelay({
      db,
      broker,
      onPublishError: (error, attempt) => log.error({ err: error, attempt }, 'outbox publish failed; retrying'),
    });
    db.onCommit(() => relay.notify());
    relays.push(relay);
    const ctx: ServiceContext = {
      name: service.name,
      config,
      logger: log,
      db,
      broker,
      http,
      adminKey: admin.key,
      subscribe: (s) => broker.subscribe({ ...s, consumer: s.consumer ?? service.name }),
      onStop: (fn) => stopHooks.push(fn),
    };
    await service.setup(ctx);
  }

  await broker.start();
  for (const r of relays) r.start();
  await http.listen({ host: config.host, port: config.port });
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  ready = true;
  logger.info({ url, mode: config.distributed.mode, dataDir: config.dataDir, services: opts.services.map((s) => s.name), adminKeyFile: admin.file }, 'orderflow started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ready = false;
      logger.info('shutting down: draining requests and handlers');
      await http.close();
      await broker.drain(config.shutdownTimeoutMs);
      // Handlers are done; publish what they wrote so nothing waits for the next start.
      for (const r of relays) await r.stop();
      await broker.close(0);
      for (const fn of stopHooks) await fn();
      for (const db of databases) await db.close();
      await opts.onStopped?.();
      logger.info('stopped');
      logger.flush();
    })());

  return { http, broker, logger, adminKey: admin.key, url, stop };
}

/** Stops the runtime on SIGTERM and SIGINT; a second signal exits at once. */
export function stopOnSignals(runtime: { stop(): Promise<void> }, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'signal received');
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
