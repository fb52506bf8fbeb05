import type { Kysely } from 'kysely';
import type { Database } from './database.ts';

/**
 * Runs a read that may be a little stale: on the replica when one is configured, up and within
 * its lag bound, else on the primary. A replica failure mid-read is retried on the primary, so a
 * replica that is down costs only speed.
 */
export async function readStale<DB, T>(db: Database<DB>, fn: (k: Kysely<DB>) => Promise<T>): Promise<T> {
  const router = db.replica;
  if (!router) return fn(db.read);
  if (!router.usable()) {
    router.count('primary');
    return fn(db.db);
  }
  try {
    const out = await fn(db.read);
    router.count('replica');
    return out;
  } catch (error) {
    router.failed(error);
    router.count('primary');
    return fn(db.db);
  }
}
