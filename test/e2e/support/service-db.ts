import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PG_ADMIN_URL } from '../../support/distributed.ts';
import { MODE, namespaceOf, type SystemProcess } from './system.ts';

/**
 * Reads one service's own database as the running system stores it, whatever the mode: the SQLite
 * file `<dataDir>/<service>.db` in embedded mode, the PostgreSQL database `<namespace>_<service>`
 * in cluster mode. `sql` takes `$1`, `$2`… placeholders in both (in the order the values are given).
 */
export async function queryServiceDb<T = Record<string, unknown>>(sys: SystemProcess, service: string, sql: string, params: unknown[] = []): Promise<T[]> {
  if (MODE === 'embedded') {
    const db = new Database(join(sys.dataDir, `${service}.db`), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as T[];
    } finally {
      db.close();
    }
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${namespaceOf(sys.dataDir)}_${service}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
