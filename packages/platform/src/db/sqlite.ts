import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database, Migration } from './database.ts';
import { runMigrations } from './migrate.ts';

export interface SqliteOptions {
  /** Database file; `:memory:` for a throwaway one. */
  file: string;
  migrations: readonly Migration[];
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
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: raw }) });
  await runMigrations(db as Kysely<any>, 'sqlite', opts.migrations);
  const listeners: Array<() => void> = [];
  return {
    dialect: 'sqlite',
    db,
    async transaction(fn) {
      const out = await db.transaction().execute(fn);
      for (const l of listeners) l();
      return out;
    },
    onCommit(l) {
      listeners.push(l);
    },
    async close() {
      await db.destroy();
    },
  };
}
