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

export async function openBroker(config: Config, logger: Logger, counters?: BrokerCounters): Promise<Broker> {
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
      ...hooks,
    });
  }
  return createEmbeddedBroker({
    file: join(config.dataDir, 'broker.db'),
    maxAttempts: b.maxAttempts,
    backoffBaseMs: b.backoffBaseMs,
    backoffCapMs: b.backoffCapMs,
    pollMs: b.pollMs,
    ...hooks,
  });
}

/** Database and role name of a service in distributed mode, e.g. `orderflow_orders`. */
export function serviceDatabaseName(config: Config, service: string): string {
  return `${config.distributed.postgres.databasePrefix}${service}`;
}

/**
 * The service's own database: its SQLite file, or in distributed mode its PostgreSQL database
 * (created with its own role when missing and provisioning is on), with migrations applied.
 */
export async function openServiceDatabase(config: Config, service: string, migrations: readonly Migration[], logger: Logger): Promise<Database> {
  if (config.distributed.mode !== 'distributed') return openSqliteDatabase({ file: join(config.dataDir, `${service}.db`), migrations });
  const pgc = config.distributed.postgres;
  const name = serviceDatabaseName(config, service);
  const spec = { database: name, role: name };
  const url = pgc.serviceUrls[service] ?? (pgc.provision ? await ensureServiceDatabase(pgc.url, spec) : serviceDatabaseUrl(pgc.url, spec));
  const replicaUrl = pgc.replicaUrls[service];
  return openPostgresDatabase({
    url,
    ...(replicaUrl ? { replicaUrl } : {}),
    migrations,
    poolSize: pgc.poolSize,
    statementTimeoutMs: pgc.statementTimeoutMs,
    replicaMaxLagMs: config.readPath.replicaMaxLagMs,
    onReplicaChange: (s) => logger.warn({ replica: s.usable ? 'in use' : s.reason, lagMs: s.lagMs }, s.usable ? 'read replica in use' : 'read replica not used; reads go to the primary'),
    onPoolError: (error) => logger.warn({ err: error }, 'postgres connection lost; the pool reconnects'),
  });
}
