import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type { DependencyPolicy } from './dependency-policy.ts';
import { AppError } from '../errors.ts';
import { resilienceErrors } from './resilience-errors.ts';
import type { StatementNames } from '../db/statement-names.ts';
import type { BatchResult, PgBatch } from '../db/pg-batch.ts';

/** A checked-out connection as Kysely takes it, which also runs a batch (see PgBatch) under the same guard as a statement. */
export interface GuardedPoolClient extends PostgresPoolClient {
  runBatch(batch: PgBatch): Promise<BatchResult[]>;
}

/**
 * Errors that say PostgreSQL is unwell, as opposed to answers about the data: no SQLSTATE (the
 * connection failed, was refused or cut), or a class among 08 connection exception, 53 insufficient
 * resources, 57 operator intervention (57014: a statement cancelled by `statement_timeout`), 58
 * system error, XX internal error. A unique violation (23505) or a serialization failure (40001) is
 * the database working as it should and never opens the breaker.
 */
export function isPostgresOutage(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return ['08', '53', '57', '58', 'XX'].includes(code.slice(0, 2));
}

/**
 * A pg pool as Kysely's PostgresDialect takes it, with the pool's outside calls under `policy`:
 * taking a connection goes through the bulkhead (bounding how many wait for the pool), the breaker
 * and the time budget; each statement goes through the breaker and the budget (the bulkhead slot
 * was taken with the connection). A connection whose statement ran out of budget or lost its
 * server is destroyed on release, never handed to the next caller mid-transaction.
 */
export function resilientPgPool(pool: pg.Pool, policy: DependencyPolicy, names?: StatementNames): PostgresPool {
  return {
    // An idle pooled connection is handed out without touching the server, so its success says
    // nothing about the server's health: only new connections count for the breaker.
    connect: () =>
      policy.execute(
        async (signal) => {
          const client = await pool.connect().catch((error: unknown) => {
            throw unavailable(error, policy.dependency);
          });
          // Connected after the budget ran out: the caller is gone, so the connection goes back.
          if (signal.aborted) {
            client.release();
            throw resilienceErrors.create('DEPENDENCY_TIMEOUT', `${policy.dependency}: connection came after the budget`, { extensions: { dependency: policy.dependency } });
          }
          return guardedClient(client, policy, names);
        },
        { observe: pool.idleCount === 0 },
      ),
    end: () => pool.end(),
  };
}

function guardedClient(client: pg.PoolClient, policy: DependencyPolicy, names: StatementNames | undefined): GuardedPoolClient {
  let broken: unknown;
  const guard = async <T>(run: () => Promise<T>, onError?: (error: unknown) => void): Promise<T> => {
    if (broken) throw broken;
    try {
      return await policy.execute(run, { bulkhead: false });
    } catch (error) {
      onError?.(error);
      // The statement may still run on the server, or the connection is gone: nothing more on it.
      const surfaced = unavailable(error, policy.dependency);
      // A statement cancelled by `statement_timeout` (57014) leaves a usable connection.
      if (resilienceErrors.is(error, 'DEPENDENCY_TIMEOUT') || resilienceErrors.is(error, 'DEPENDENCY_CIRCUIT_OPEN') || (isPostgresOutage(error) && sqlState(error) !== '57014')) broken = surfaced;
      throw surfaced;
    }
  };
  const query = (sql: string, parameters: ReadonlyArray<unknown>) => {
    // Statements without parameters (begin, commit) go as simple queries, unnamed.
    const name = parameters.length > 0 ? names?.nameFor(sql) : undefined;
    return guard(
      () => (name ? client.query({ name, text: sql, values: parameters as unknown[] }) : client.query(sql, parameters as unknown[])),
      // "cached plan must not change result type": a table changed under a prepared statement.
      (error) => name && sqlState(error) === '0A000' && names!.forget(sql),
    );
  };
  return {
    query: ((sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) =>
      typeof sqlOrCursor === 'string' ? query(sqlOrCursor, parameters ?? []) : client.query(sqlOrCursor as pg.Submittable)) as unknown as PostgresPoolClient['query'],
    runBatch: (batch) =>
      guard(() => {
        client.query(batch);
        return batch.done;
      }),
    release: (destroy) => client.release(destroy || broken !== undefined ? true : undefined),
  };
}

const sqlState = (error: unknown) => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);

/**
 * A connection refused, cut or terminated by the server (a restart: 57P01, class 08, no SQLSTATE)
 * becomes DEPENDENCY_UNAVAILABLE (503, retryable) with the driver's error as its cause, so a client
 * sees "retry shortly", not a 500. Statement timeouts (57014), answers about the data and the kit's
 * own errors pass through unchanged.
 */
function unavailable(error: unknown, dependency: string): unknown {
  if (error instanceof AppError || !isPostgresOutage(error)) return error;
  if (sqlState(error) === '57014') return error;
  const message = error instanceof Error ? error.message : String(error);
  return resilienceErrors.create('DEPENDENCY_UNAVAILABLE', `${dependency}: ${message}`, { cause: error, extensions: { dependency } });
}
