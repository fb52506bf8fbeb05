import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { createLogger, type Logger } from '../logger.ts';
import { platformMigrations } from '../db/platform-migrations.ts';
import type { Database } from '../db/database.ts';
import type { Broker } from '../broker/broker.ts';
import { openBroker, openRedis, openServiceDatabase } from './adapters.ts';
import { createOutboxRelay, type OutboxRelay } from '../outbox/relay.ts';
import { createHttpServer, type HttpServer } from '../http/server.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import { resolveAdminKey } from './admin-key.ts';
import { rateLimitOptions } from './rate-limit-options.ts';
import { createRedisRateLimitStore } from '../rate-limit/redis-store.ts';
import { leaseTakes } from '../rate-limit/leased-store.ts';
import { registerLoadShedding, type EdgePressure } from '../http/load-shedding.ts';
import { registerResilienceRoutes } from './resilience-routes.ts';
import { createResilienceKit, type ResilienceKit } from '../resilience/resilience-kit.ts';
import { resilientBroker } from '../resilience/resilient-broker.ts';
import { failOpenRateLimitStore } from '../resilience/resilient-rate-limit-store.ts';
import type { ServiceContext, ServiceModule } from './service.ts';
import { setOutboxHeaderSource } from '../outbox/outbox.ts';
import { processMetrics, type Metrics, type MetricsSnapshot } from '../observability/metrics.ts';
import type { DependencyStats } from '../resilience/dependency-policy.ts';
import { mergeResilienceStats } from './resilience-routes.ts';
import { traceHeaders } from '../observability/spans.ts';
import { registerObservabilityRoutes } from '../observability/routes.ts';
import type { SpanStore } from '../observability/span-store.ts';
import { openReadPath } from '../cache/read-path.ts';

export interface RuntimeOptions {
  config: Config;
  services: readonly ServiceModule[];
  logger?: Logger;
  /**
   * The process's outside-call policies (default: a kit from `config.resilience`). The runtime puts
   * broker publishes, the service databases (PostgreSQL) and the rate-limit store (Redis) under it;
   * breaker changes are logged, every event is counted in /metrics, stats served at /v1/admin/resilience.
   */
  resilience?: ResilienceKit;
  /** Runs last at shutdown (e.g. closing the built-in payment simulator). */
  onStopped?: () => Promise<void> | void;
  /** Default: this process's metrics. */
  metrics?: Metrics;
  /** The local span store, when tracing keeps one: the dashboard's slowest requests come from it. */
  spanStore?: SpanStore | undefined;
  /**
   * What this runtime runs (default `all`). Embedded mode splits one system over two threads:
   * `edge` serves HTTP (routes, intake, reads, admin, /metrics) and hands every outbox commit to
   * `onOutboxCommit`; `pipeline` runs the outbox relays, the consumers and the background jobs, and
   * listens on no port. See docs/architecture.md.
   */
  role?: RuntimeRole;
  /** `edge` role: told after each commit that may have written outbox rows (the pipeline's relay publishes them). */
  onOutboxCommit?: (service: string) => void;
  /** `pipeline` role: the edge's overload signal (consumers step back while it is true). */
  isEdgeBusy?: () => boolean;
  /** `edge` role: runs after the services are set up, before the port opens (e.g. starting the pipeline). */
  beforeListen?: () => Promise<void>;
  /** `edge` role: runs once the port is open, before the runtime reports itself started (e.g. letting the pipeline consume). */
  afterListen?: () => Promise<void>;
  /** Metrics and resilience stats of the other half of a split system, merged into /metrics, the dashboard and /v1/admin/resilience. */
  peer?: RuntimePeer;
}

export type RuntimeRole = 'all' | 'edge' | 'pipeline';

/** The other thread of a split embedded system, as the edge sees it. */
export interface RuntimePeer {
  metrics(): Promise<MetricsSnapshot>;
  resilience(): Promise<DependencyStats[]>;
}

export interface Runtime {
  readonly http: HttpServer;
  readonly broker: Broker;
  readonly logger: Logger;
  readonly adminKey: string;
  readonly url: string;
  readonly metrics: Metrics;
  /** The edge is shedding load (event loop, memory or requests in flight past their limit). */
  busy(): boolean;
  /** Wakes the outbox relay of `service` (a commit elsewhere may have written rows); no-op without relays. */
  notifyOutbox(service: string): void;
  /**
   * Starts the consumers and outbox relays. Every role but `pipeline` has done it before the
   * port opened; a pipeline waits to be told, so it consumes only once its edge is up.
   */
  startConsumers(): Promise<void>;
  /** Stats of the resilience kit's policies in this runtime. */
  resilienceStats(): DependencyStats[];
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
  const metrics = opts.metrics ?? processMetrics();
  const kit = opts.resilience ?? createResilienceKit(config.resilience);
  kit.on((e) => {
    metrics.resilienceEvent(e);
    if (e.type === 'breaker_state') logger.warn({ dependency: e.dependency, state: e.state }, 'circuit breaker state changed');
  });
  setOutboxHeaderSource(() => traceHeaders());
  // The edge's load, known once it is registered below: consumers step back while it is busy.
  let edge: EdgePressure | undefined;
  const role = opts.role ?? 'all';
  const consumes = role !== 'edge';
  const serves = role !== 'pipeline';
  const broker = await openBroker(
    config,
    logger,
    { onRedelivery: (consumer) => metrics.redelivery(consumer), onDeadLetter: (consumer) => metrics.deadLetter(consumer) },
    opts.isEdgeBusy ?? (() => edge?.busy() ?? false),
  );

  let ready = false;
  const databases: Database[] = [];
  const relays: OutboxRelay[] = [];
  const relaySources: Array<{ service: string; relay: OutboxRelay }> = [];
  const stopHooks: Array<() => Promise<void> | void> = [];
  // Distributed mode: every instance shares the rate-limit buckets in Redis, so a key's limit holds
  // across instances; embedded mode keeps them in memory.
  // A Redis that is down or slow costs only the limit: the store fails open within its budget.
  const redis = config.distributed.mode === 'distributed' && config.rateLimit.perKey > 0 ? openRedis(config, logger) : undefined;
  let failOpenLoggedAt = -Infinity;
  // Each instance leases a key's tokens a few at a time (`leaseTakes`): a round trip every few requests.
  const rateLimitStore = redis
    ? leaseTakes(failOpenRateLimitStore(createRedisRateLimitStore({ redis, prefix: `${config.distributed.redis.prefix}rl:` }), kit.policy('redis'), (error) => {
        // Counted per cause in /metrics (orderflow_resilience_events_total); one line per 10 s is enough here.
        if (performance.now() - failOpenLoggedAt < 10_000) return;
        failOpenLoggedAt = performance.now();
        logger.warn({ err: error }, 'rate-limit check failed; request admitted without a limit');
      }))
    : undefined;
  const readPath = openReadPath(config, logger, metrics);
  const http = await createHttpServer({ logger, isReady: () => ready, metrics, writesPerTurn: config.writesPerTurn, ...rateLimitOptions(config, rateLimitStore) });
  const peer = opts.peer;
  if (peer) metrics.addPeer(() => peer.metrics());
  const shedCounts: Record<string, number> = { in_flight: 0, event_loop_delay: 0, heap: 0 };
  if (serves) {
    registerAdminRoutes(http, { broker, adminKey: admin.key });
    registerObservabilityRoutes(http, { metrics, adminKey: admin.key, spanDb: opts.spanStore?.db });
    edge = await registerLoadShedding(http, { ...config.shedding, onShed: (reason) => void shedCounts[reason]!++ });
    registerResilienceRoutes(http, {
      adminKey: admin.key,
      stats: async () => (peer ? mergeResilienceStats(kit.stats(), await peer.resilience()) : kit.stats()),
      shed: () => ({ ...shedCounts }),
    });
  }
  // Every publish (the outbox relays') runs under the broker's policy; the relay is its retry layer.
  const publisher = resilientBroker(broker, kit.policy('broker'));

  for (const service of opts.services) {
    const log = logger.child({ service: service.name });
    // A split edge leaves WAL checkpoints (page copies and an fsync) to the pipeline's connections.
    const db = await openServiceDatabase(config, service.name, [...platformMigrations, ...service.migrations], log, kit, { autoCheckpoint: role !== 'edge' });
    databases.push(db);
    if (consumes) {
      const relay = createOutboxRelay({
        db,
        broker: publisher,
        onPublishError: (error, attempt) => log.error({ err: error, attempt }, 'outbox publish failed; retrying'),
        onPublished: (_count, events) => metrics.observePublished(events),
      });
      relaySources.push({ service: service.name, relay });
      db.onCommit(() => relay.notify());
      relays.push(relay);
    } else {
      const tell = opts.onOutboxCommit;
      if (tell) db.onCommit(() => tell(service.name));
    }
    const ctx: ServiceContext = {
      name: service.name,
      config,
      logger: log,
      db,
      broker,
      http,
      adminKey: admin.key,
      readPath,
      subscribe: (s) => {
        if (consumes) broker.subscribe({ ...s, consumer: s.consumer ?? service.name });
      },
      job: (start) => {
        if (!consumes) return;
        const job = start();
        stopHooks.push(() => job.stop());
      },
      onStop: (fn) => stopHooks.push(fn),
    };
    http.setRouteOwner(service.name);
    await service.setup(ctx);
    http.setRouteOwner(undefined);
  }

  // A split edge reports neither consumers nor outboxes: the pipeline's metrics do, once.
  metrics.bindSources(consumes ? { broker, relays: relaySources, resilience: kit } : { relays: [], resilience: kit });
  let consuming: Promise<void> | undefined;
  const startConsumers = () =>
    (consuming ??= (async () => {
      if (consumes) await broker.start();
      for (const r of relays) r.start();
    })());
  if (role !== 'pipeline') await startConsumers();
  let url = '';
  if (serves) {
    await opts.beforeListen?.();
    await http.listen({ host: config.host, port: config.port });
    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    await opts.afterListen?.();
  }
  ready = true;
  logger.info(
    { url: url || undefined, role, mode: config.distributed.mode, dataDir: config.dataDir, services: opts.services.map((s) => s.name), adminKeyFile: admin.file },
    role === 'pipeline' ? 'orderflow pipeline started' : 'orderflow started',
  );

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
      redis?.disconnect();
      await readPath.close();
      for (const fn of stopHooks) await fn();
      for (const db of databases) await db.close();
      metrics.bindSources(undefined);
      await opts.onStopped?.();
      logger.info('stopped');
      logger.flush();
    })());

  const relayOf = new Map(relaySources.map((r) => [r.service, r.relay]));
  return {
    http,
    broker,
    logger,
    adminKey: admin.key,
    url,
    metrics,
    busy: () => edge?.busy() ?? false,
    notifyOutbox: (service) => relayOf.get(service)?.notify(),
    startConsumers,
    resilienceStats: () => kit.stats(),
    stop,
  };
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
