import pg from 'pg';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import type { Database, Migration } from './database.ts';
import { runMigrations } from './migrate.ts';
import type { DependencyPolicy } from '../resilience/dependency-policy.ts';
import { resilientPgPool, type GuardedPoolClient } from '../resilience/resilient-pg-pool.ts';
import { PgBatch } from './pg-batch.ts';
import { createReplicaRouter, type ReplicaStats } from './replica-router.ts';
import { createStatementNames } from './statement-names.ts';
import { SpanKind, withSpan } from '../observability/spans.ts';

export interface PostgresOptions {
  /** The service's own database, e.g. `postgres://orders@db:5432/orderflow_orders`. */
  url: string;
  /** What its transaction spans are named after (`db.transaction <name>`); default the database named in `url`. */
  name?: string;
  /** A read replica of it; unset: reads go to the primary. */
  replicaUrl?: string;
  migrations: readonly Migration[];
  /** Connections per pool (primary and replica each); default 10. */
  poolSize?: number;
  /** Server-side `statement_timeout` per statement, ms; default 5000. 0 turns it off. */
  statementTimeoutMs?: number;
  /** A replica further behind than this is not read from; default 1000 ms. */
  replicaMaxLagMs?: number;
  /** Told when the replica becomes usable or not (down, lagging). */
  onReplicaChange?: (stats: ReplicaStats) => void;
  /** Told of idle-client errors (a server restart drops every pooled connection). */
  onPoolError?: (error: Error) => void;
  /**
   * The resilience kit's policies for the primary and the replica: taking a connection and each
   * statement run under a time budget and a breaker, and the bulkhead bounds how many wait for a
   * connection. Unset: the plain pool (tools and tests that open a database directly).
   */
  policy?: DependencyPolicy;
  replicaPolicy?: DependencyPolicy;
}

/**
 * `bigint` (counts, `bigserial`) as a JS number instead of pg's default string, so the same code
 * reads `count(*)` and `outbox.seq` on both dialects. Values past 2^53 do not occur here.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function pool(url: string, opts: PostgresOptions, policy: DependencyPolicy | undefined, connectionTimeoutMillis = 10_000): PostgresPool {
  const p = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    types,
    connectionTimeoutMillis,
    idleTimeoutMillis: 30_000,
    ...(opts.statementTimeoutMs !== 0 ? { statement_timeout: opts.statementTimeoutMs ?? 5_000 } : {}),
  });
  // Without a listener an idle client's error (server restart) would crash the process.
  p.on('error', (e) => opts.onPoolError?.(e));
  // The same for a client that is checked out (inside a transaction, between two statements) when
  // the server goes: its next statement fails, the pool drops it on release, the process lives on.
  p.on('connect', (client) => client.on('error', (e) => opts.onPoolError?.(e)));
  return policy ? resilientPgPool(p, policy, createStatementNames()) : p;
}

/** The statements as one PgBatch on a connection of `p` (under the pool's policy when it has one). */
async function runBatch(p: PostgresPool, statements: ReadonlyArray<{ sql: string; parameters: readonly unknown[] }>): Promise<void> {
  const client = await p.connect();
  try {
    const batch = new PgBatch(statements, types);
    if ('runBatch' in client) await (client as GuardedPoolClient).runBatch(batch);
    else {
      client.query(batch as never);
      await batch.done;
    }
  } finally {
    client.release();
  }
}

/**
 * Opens a service's PostgreSQL database (primary pool, and a replica pool when `replicaUrl` is
 * set) and applies its migrations under an advisory lock, so several instances may start at once.
 * @throws the driver's error when the database cannot be reached or a migration fails.
 */
export async function openPostgresDatabase<DB>(opts: PostgresOptions): Promise<Database<DB>> {
  const primaryPool = pool(opts.url, opts, opts.policy);
  const primary = new Kysely<DB>({ dialect: new PostgresDialect({ pool: primaryPool }) });
  // A replica that does not answer fast is skipped (the primary answers), so its connect timeout is short.
  const replica = opts.replicaUrl ? new Kysely<DB>({ dialect: new PostgresDialect({ pool: pool(opts.replicaUrl, opts, opts.replicaPolicy, 2_000) }) }) : undefined;
  try {
    await runMigrations(primary as Kysely<any>, 'postgres', opts.migrations);
  } catch (error) {
    await primary.destroy();
    await replica?.destroy();
    throw error;
  }
  const listeners: Array<() => void> = [];
  const dbName = decodeURIComponent(new URL(opts.url).pathname.slice(1));
  // The same span as SQLite's, so a trace shows each service's write transaction in both modes.
  const txName = `db.transaction ${opts.name ?? dbName}`;
  const txAttributes = { 'db.system': 'postgresql', 'db.namespace': dbName };
  const router = replica
    ? createReplicaRouter({ primary, replica, maxLagMs: opts.replicaMaxLagMs ?? 1_000, ...(opts.onReplicaChange ? { onChange: opts.onReplicaChange } : {}) })
    : undefined;
  return {
    dialect: 'postgres',
    db: primary,
    read: replica ?? primary,
    ...(router ? { replica: router } : {}),
    async transaction(fn) {
      const out = await withSpan(txName, { kind: SpanKind.CLIENT, attributes: txAttributes }, () => primary.transaction().execute(fn));
      for (const l of listeners) l();
      return out;
    },
    async writeTogether(statements) {
      await withSpan(txName, { kind: SpanKind.CLIENT, attributes: txAttributes }, () => runBatch(primaryPool, statements));
      for (const l of listeners) l();
    },
    onCommit(l) {
      listeners.push(l);
    },
    async close() {
      router?.close();
      await primary.destroy();
      await replica?.destroy();
    },
  };
}
