import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database, Migration } from '../db/database.ts';
import { openSqliteDatabase } from '../db/sqlite.ts';
import { openPostgresDatabase } from '../db/postgres.ts';
import { ensureServiceDatabase, serviceDatabaseUrl } from '../db/pg-provision.ts';
import type { Broker } from '../broker/broker.ts';
import { createEmbeddedBroker } from '../broker/embedded-broker.ts';
import { createNatsBroker } from '../broker/nats-broker.ts';
import { Redis } from 'ioredis';
import type { ResilienceKit } from '../resilience/resilience-kit.ts';

/**
 * The broker the configuration names: the embedded SQLite broker, or NATS JetStream in
 * distributed mode. Same port, same semantics; nothing above this line knows which.
 * @throws when NATS cannot be reached at start.
 */
/** Counters told of every redelivery and dead letter (observability). */
export interface BrokerCounters {
  onRedelivery(consumer: string): void;
  onDeadLetter(consumer: string): void;
}

/** `isBusy`: the edge's overload signal; consumers step back (one message at a time) while it is true. */
export async function openBroker(config: Config, logger: Logger, counters?: BrokerCounters, isBusy?: () => boolean): Promise<Broker> {
  const hooks = {
    onRedelivery: (consumer: string, m: { id: string; type: string; key: string; attempt: number }, error: unknown, delayMs: number) => {
      counters?.onRedelivery(consumer);
      logger.warn({ consumer, messageId: m.id, type: m.type, key: m.key, order_id: m.key, attempt: m.attempt, delayMs, err: error }, 'handler failed; will redeliver');
    },
    onDeadLetter: (consumer: string, m: { id: string; type: string; key: string; attempt: number }, error: unknown) => {
      counters?.onDeadLetter(consumer);
      logger.error({ consumer, messageId: m.id, type: m.type, key: m.key, order_id: m.key, attempt: m.attempt, err: error }, 'message dead-lettered');
    },
  };
  const b = config.broker;
  if (config.distributed.mode === 'distributed') {
    const n = config.distributed.nats;
    return createNatsBroker({
      url: n.url,
      prefix: n.prefix,
      ackWaitMs: n.ackWaitMs,
      maxAttempts: b.maxAttempts,
      backoffBaseMs: b.backoffBaseMs,
      backoffCapMs: b.backoffCapMs,
      onError: (error) => logger.error({ err: error }, 'broker error'),
      ...(isBusy ? { isBusy } : {}),
      ...hooks,
    });
  }
  return createEmbeddedBroker({
    file: join(config.dataDir, 'broker.db'),
    maxAttempts: b.maxAttempts,
    backoffBaseMs: b.backoffBaseMs,
    backoffCapMs: b.backoffCapMs,
    pollMs: b.pollMs,
    ...(isBusy ? { isBusy } : {}),
    ...hooks,
  });
}

/** Database and role name of a service in distributed mode, e.g. `orderflow_orders`. */
export function serviceDatabaseName(config: Config, service: string): string {
  return `${config.distributed.postgres.databasePrefix}${service}`;
}

/**
 * The service's own database: its SQLite file, or in distributed mode its PostgreSQL database
 * (created with its own role when missing and provisioning is on), with migrations applied; with
 * `kit`, PostgreSQL connections and statements run under its `postgres` policies.
 */
export async function openServiceDatabase(config: Config, service: string, migrations: readonly Migration[], logger: Logger, kit?: ResilienceKit, opts: { autoCheckpoint?: boolean } = {}): Promise<Database> {
  if (config.distributed.mode !== 'distributed') return openSqliteDatabase({ file: join(config.dataDir, `${service}.db`), migrations, readerConnection: config.readPath.sqliteReader, ...opts });
  const pgc = config.distributed.postgres;
  const name = serviceDatabaseName(config, service);
  const spec = { database: name, role: name };
  const url = pgc.serviceUrls[service] ?? (pgc.provision ? await ensureServiceDatabase(pgc.url, spec) : serviceDatabaseUrl(pgc.url, spec));
  const replicaUrl = pgc.replicaUrls[service];
  return openPostgresDatabase({
    url,
    name: service,
    ...(replicaUrl ? { replicaUrl } : {}),
    migrations,
    poolSize: pgc.poolSize,
    statementTimeoutMs: pgc.statementTimeoutMs,
    replicaMaxLagMs: config.readPath.replicaMaxLagMs,
    onReplicaChange: (s) => logger.warn({ replica: s.usable ? 'in use' : s.reason, lagMs: s.lagMs }, s.usable ? 'read replica in use' : 'read replica not used; reads go to the primary'),
    onPoolError: (error) => logger.warn({ err: error }, 'postgres connection lost; the pool reconnects'),
    ...(kit ? { policy: kit.policy('postgres'), replicaPolicy: kit.policy('postgres-replica') } : {}),
  });
}

/**
 * The Redis connection for shared rate limits. Commands fail at once while disconnected (no
 * offline queue) and give up after the `redis` policy's budget, so a Redis that is down or slow
 * never holds a request; ioredis reconnects in the background with its capped backoff.
 */
export function openRedis(config: Config, logger: Logger): Redis {
  const budget = config.resilience.redis.timeoutMs;
  const redis = new Redis(config.distributed.redis.url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: budget,
    connectTimeout: Math.max(1_000, budget),
  });
  let lastWarn = 0;
  redis.on('error', (error) => {
    // Reconnect attempts fail every few hundred ms while Redis is down: one line per 10 s is enough.
    if (Date.now() - lastWarn < 10_000) return;
    lastWarn = Date.now();
    logger.warn({ err: error }, 'redis error; rate limits fail open until it is back');
  });
  return redis;
}
