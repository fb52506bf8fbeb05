import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import type { ReplicaRouter } from './replica-router.ts';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The Database port: one per service, owned by that service alone. Adapters: SQLite (embedded)
 * and PostgreSQL (distributed). Queries go through Kysely, so they are parameterised and the
 * same code runs on both.
 */
export interface Database<DB = any> {
  readonly dialect: Dialect;
  /** For reads and single statements. */
  readonly db: Kysely<DB>;
  /** For reads that may lag a little (a read replica in distributed mode); otherwise `db` itself. */
  readonly read: Kysely<DB>;
  /** Distributed mode with a replica URL: decides per read whether the replica may answer (see `readStale`). */
  readonly replica?: ReplicaRouter;
  /**
   * Runs `fn` in one transaction; commits when it resolves, rolls back when it throws (and rethrows).
   * Commit listeners run after a successful commit.
   */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /**
   * Runs `statements` (built with `db` and `.compile()`d) in order as one transaction and commits:
   * for writes that need no answer from one another. On PostgreSQL they reach the server together,
   * one round trip for all of them instead of one each plus begin and commit. The first that fails
   * rolls every one back and its error is thrown (a unique violation keeps its SQLSTATE, 23505, or
   * SQLite's SQLITE_CONSTRAINT_*). Commit listeners run after the commit.
   */
  writeTogether(statements: readonly CompiledQuery[]): Promise<void>;
  /** Called after every successful commit (e.g. to wake the outbox relay). */
  onCommit(listener: () => void): void;
  close(): Promise<void>;
}

export interface Migration {
  /** Unique and sortable, e.g. `orders-001-init`. Applied in array order, once. */
  name: string;
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}
