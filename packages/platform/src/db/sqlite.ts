import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database, Migration } from './database.ts';
import { runMigrations } from './migrate.ts';
import { createSqliteSession, type StatementSource } from './sqlite-executor.ts';
import { SpanKind, withSpan } from '../observability/spans.ts';

export interface SqliteOptions {
  /** Database file; `:memory:` for a throwaway one. */
  file: string;
  migrations: readonly Migration[];
  /**
   * Reuse prepared statements by SQL text (bounded, 1000 entries). Kysely prepares every query
   * anew otherwise; `npm run bench -- sqlite` shows what the cache saves. Default true.
   */
  statementCache?: boolean;
  /** Names the database in spans (`db.namespace`); default the file's base name. */
  name?: string;
  /**
   * Checkpoint the WAL from this connection when it passes 1000 pages (SQLite's default). A commit
   * that triggers one copies pages and fsyncs on the committing thread; a split system's edge turns
   * it off and leaves checkpoints to the pipeline's connections to the same file. Default true.
   */
  autoCheckpoint?: boolean;
  /**
   * Let a select that finds a transaction holding the connection run on a second, read-only
   * connection instead of waiting (`npm run bench -- reads-under-writes` weighs it). Default true.
   */
  readerConnection?: boolean;
}

/** better-sqlite3 with a bounded cache of prepared statements, in the shape Kysely's SqliteDialect takes. */
function withStatementCache(raw: SQLite.Database, max = 1000): StatementSource {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => raw.close(),
    get inTransaction() {
      return raw.inTransaction;
    },
    prepare(sql: string): SQLite.Statement {
      let stmt = cache.get(sql);
      if (stmt === undefined) {
        stmt = raw.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/**
 * Opens (creating if needed) a service's SQLite file in WAL mode and applies its migrations.
 * `synchronous=NORMAL` under WAL keeps every commit across a process crash (SIGKILL); only an
 * OS crash or power loss can drop the last commits — the trade-off embedded mode makes for speed.
 */
export async function openSqliteDatabase<DB>(opts: SqliteOptions): Promise<Database<DB>> {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const raw = new SQLite(opts.file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  if (opts.autoCheckpoint === false) raw.pragma('wal_autocheckpoint = 0');
  // Selects that would wait for a transaction on `raw` run on a second, read-only connection instead
  // (opened on first use: an idle service never pays for it). A `:memory:` database has no second connection.
  let reader: StatementSource | undefined;
  const openReader =
    opts.file === ':memory:' || opts.readerConnection === false
      ? undefined
      : () => {
          if (reader === undefined) {
            const r = new SQLite(opts.file, { readonly: true });
            r.pragma('busy_timeout = 5000');
            reader = opts.statementCache === false ? r : withStatementCache(r);
          }
          return reader;
        };
  const session = createSqliteSession<DB>(opts.statementCache === false ? raw : withStatementCache(raw), openReader);
  const db = session.db;
  await runMigrations(db as Kysely<any>, 'sqlite', opts.migrations);
  const listeners: Array<() => void> = [];
  const dbName = opts.name ?? basename(opts.file).replace(/\.db$/, '');
  const txName = `db.transaction ${dbName}`;
  const txAttributes = { 'db.system': 'sqlite', 'db.namespace': dbName };
  const transaction: Database<DB>['transaction'] = async (fn) => {
    const out = await withSpan(txName, { kind: SpanKind.CLIENT, attributes: txAttributes }, () => session.transaction(fn));
    for (const l of listeners) l();
    return out;
  };
  return {
    dialect: 'sqlite',
    db,
    read: db,
    transaction,
    // SQLite answers within the call: sending statements together saves nothing, so they run one by one in a transaction.
    writeTogether: (statements) =>
      transaction(async (trx) => {
        for (const s of statements) await trx.executeQuery(s);
      }),
    onCommit(l) {
      listeners.push(l);
    },
    async close() {
      await db.destroy();
      reader?.close();
      reader = undefined;
    },
  };
}
