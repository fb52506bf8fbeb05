import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  DefaultQueryExecutor,
  Kysely,
  SelectQueryNode,
  SqliteAdapter,
  SqliteDialect,
  SqliteQueryCompiler,
  Transaction,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';

/** What the executor needs of better-sqlite3 (the bounded statement cache has this shape too). */
export interface StatementSource {
  prepare(sql: string): SQLite.Statement;
  close(): void;
  readonly inTransaction: boolean;
}

/**
 * The one SQLite connection, taken by a transaction for its whole length and by a single
 * statement only while another holder has it. Waiters are served in arrival order, one at a
 * time (Kysely's own mutex wakes every waiter on each release).
 */
class Gate {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  get busy(): boolean {
    return this.held;
  }

  /** Takes the gate; undefined when taken at once, otherwise a promise that resolves once it is ours. */
  acquire(): Promise<void> | undefined {
    if (!this.held) {
      this.held = true;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Hands the gate to the next waiter, or frees it. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}

/** How long a transaction waits for the write lock before it fails with SQLITE_BUSY (as `busy_timeout`). */
const LOCK_WAIT_MS = 5_000;
const RESTORE_BUSY_TIMEOUT = 'pragma busy_timeout = 5000'; // LOCK_WAIT_MS

/**
 * Begins a transaction `IMMEDIATE`: it takes the write lock at BEGIN. A deferred transaction that
 * reads and then writes would instead fail at once with SQLITE_BUSY whenever another connection
 * (the other thread of embedded mode) committed in between: the busy timeout does not apply to
 * that upgrade. While another connection holds the lock, BEGIN is retried every millisecond on a
 * timer instead of in SQLite's busy handler, which sleeps the whole thread (1, 2, 5 … 100 ms at a
 * time): the event loop keeps answering other requests while this one waits. Returns undefined
 * when the lock was free (no promise on the common path).
 */
function beginImmediate(source: StatementSource): Promise<void> | undefined {
  const attempt = (): boolean => {
    source.prepare('pragma busy_timeout = 0').run();
    try {
      source.prepare('begin immediate').run();
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
      return false;
    } finally {
      source.prepare(RESTORE_BUSY_TIMEOUT).run();
    }
  };
  if (attempt()) return undefined;
  const deadline = performance.now() + LOCK_WAIT_MS;
  return (async () => {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (attempt()) return;
      if (performance.now() > deadline) throw Object.assign(new Error(`database is locked (waited ${LOCK_WAIT_MS} ms for the write lock)`), { code: 'SQLITE_BUSY' });
    }
  })();
}

function run<R>(source: StatementSource, q: CompiledQuery): QueryResult<R> {
  const stmt = source.prepare(q.sql);
  if (stmt.reader) return { rows: stmt.all(q.parameters as unknown[]) as R[] };
  const { changes, lastInsertRowid } = stmt.run(q.parameters as unknown[]);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

function connectionOf(source: StatementSource): DatabaseConnection {
  return {
    executeQuery: <R>(q: CompiledQuery) => Promise.resolve(run<R>(source, q)),
    async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
      if (!SelectQueryNode.is(q.query)) throw new Error('SQLite streams select queries only');
      for (const row of source.prepare(q.sql).iterate(q.parameters as unknown[])) yield { rows: [row as R] };
    },
  };
}

/** Runs a compiled query at once on the connection, as a settled promise (no connection provider, no mutex). */
class DirectExecutor extends DefaultQueryExecutor {
  constructor(
    private readonly source: StatementSource,
    private readonly gate: Gate | undefined,
    provider: { provideConnection<T>(consumer: (c: DatabaseConnection) => Promise<T>): Promise<T> },
    private readonly isOpen: () => boolean = () => true,
    private readonly reader?: () => StatementSource,
  ) {
    super(new SqliteQueryCompiler(), new SqliteAdapter(), provider);
  }

  override executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.isOpen()) return Promise.reject(new Error('Transaction is already committed or rolled back'));
    // Plugins transform results asynchronously: leave them to Kysely's path.
    if (this.plugins.length > 0) return super.executeQuery(q);
    const gate = this.gate;
    if (gate === undefined || !gate.busy) {
      try {
        return Promise.resolve(run<R>(this.source, q));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // A transaction holds the connection. A select goes to the reader connection at once (WAL: it
    // sees every committed transaction, none in progress); anything else waits, so that it does
    // not run inside the transaction.
    if (this.reader !== undefined && SelectQueryNode.is(q.query)) {
      try {
        return Promise.resolve(run<R>(this.reader(), q));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return gate.acquire()!.then(() => {
      try {
        return run<R>(this.source, q);
      } finally {
        gate.release();
      }
    });
  }
}

export interface SqliteSession<DB> {
  readonly db: Kysely<DB>;
  /** One transaction on the connection: begin, `fn`, commit; rollback and rethrow when `fn` throws. */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
}

/**
 * Kysely over one better-sqlite3 connection, executing each statement synchronously and
 * answering with one settled promise. better-sqlite3 is synchronous anyway; Kysely's
 * SqliteDriver wraps every statement in a dozen async layers (connection provider, runtime
 * driver, mutex), and each promise costs extra once an async context hook is enabled (tracing,
 * on Node 20). A statement outside a transaction waits only while a transaction holds the connection;
 * with `reader` (a second connection to the same WAL file, opened on first use) a select does not
 * wait at all: a read must not queue behind a write, least of all behind one that is itself
 * waiting for another thread's write lock.
 */
export function createSqliteSession<DB>(source: StatementSource, reader?: () => StatementSource): SqliteSession<DB> {
  const gate = new Gate();
  const connection = connectionOf(source);
  const provider = {
    async provideConnection<T>(consumer: (c: DatabaseConnection) => Promise<T>): Promise<T> {
      const wait = gate.acquire();
      if (wait) await wait;
      try {
        return await consumer(connection);
      } finally {
        gate.release();
      }
    },
  };
  const exec = (sql: string) => source.prepare(sql).run();
  const driver: Driver = {
    init: async () => {},
    acquireConnection: async () => {
      const wait = gate.acquire();
      if (wait) await wait;
      return connection;
    },
    releaseConnection: async () => gate.release(),
    beginTransaction: async () => beginImmediate(source),
    commitTransaction: async () => void exec('commit'),
    rollbackTransaction: async () => void exec('rollback'),
    destroy: async () => source.close(),
  };
  const dialect = new SqliteDialect({ database: source as unknown as SQLite.Database });
  const props = { config: { dialect }, driver, dialect };
  const db = new Kysely<DB>({ ...props, executor: new DirectExecutor(source, gate, provider, undefined, reader) });

  return {
    db,
    async transaction(fn) {
      const wait = gate.acquire();
      if (wait) await wait;
      let open = true;
      const trx = new Transaction<DB>({ ...props, executor: new DirectExecutor(source, undefined, { provideConnection: (consumer) => consumer(connection) }, () => open) });
      try {
        const locked = beginImmediate(source);
        if (locked) await locked;
        try {
          const out = await fn(trx);
          exec('commit');
          return out;
        } catch (error) {
          if (source.inTransaction) exec('rollback');
          throw error;
        }
      } finally {
        open = false;
        gate.release();
      }
    },
  };
}
