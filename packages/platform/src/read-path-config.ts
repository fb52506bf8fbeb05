import { ConfigError } from './config.ts';

type Env = Record<string, string | undefined>;

/** The read path's settings (cache, read-your-writes, replica lag). Every variable is in README. */
export interface ReadPathConfig {
  /**
   * ORDERFLOW_CACHE: on by default in distributed mode (Redis + a local tier: 1.74x reads, `npm run
   * bench -- reads-distributed`), off in embedded mode, where the read model is an in-process SQLite
   * primary-key read and the LRU saves too little to keep (`npm run bench -- reads`: 1.05x and 1.13x
   * CPU per read, under its 1.1x bar). `on` in embedded mode: the in-process LRU.
   */
  cache: boolean;
  /** Longest life of a cache entry without an invalidation. */
  cacheTtlMs: number;
  /** Entries of the in-process LRU (embedded mode). */
  cacheMaxEntries: number;
  /** Distributed mode: entries and life of each process's local tier in front of Redis. */
  localMaxEntries: number;
  localTtlMs: number;
  /** After a place or cancel, the writer's reads of that order and of their list go to the primary this long. */
  readYourWritesMs: number;
  /** A replica further behind than this is not read from (the primary answers). */
  replicaMaxLagMs: number;
  /**
   * Embedded mode: a select that finds a write transaction holding its SQLite connection runs on a
   * second, read-only connection instead of queueing (ORDERFLOW_SQLITE_READER=off: it queues).
   */
  sqliteReader: boolean;
}

/** @throws ConfigError naming a variable that is out of range. */
export function loadReadPathConfig(env: Env, h: { int(env: Env, name: string, def: number, min?: number, max?: number): number; str(env: Env, name: string): string | undefined }): ReadPathConfig {
  const distributed = h.str(env, 'ORDERFLOW_MODE') === 'distributed';
  const cache = h.str(env, 'ORDERFLOW_CACHE') ?? (distributed ? 'on' : 'off');
  if (cache !== 'on' && cache !== 'off') throw new ConfigError(`ORDERFLOW_CACHE must be on or off, got "${cache}"`);
  const sqliteReader = h.str(env, 'ORDERFLOW_SQLITE_READER') ?? 'on';
  if (sqliteReader !== 'on' && sqliteReader !== 'off') throw new ConfigError(`ORDERFLOW_SQLITE_READER must be on or off, got "${sqliteReader}"`);
  return {
    cache: cache === 'on',
    cacheTtlMs: h.int(env, 'ORDERFLOW_CACHE_TTL_MS', 60_000, 1),
    cacheMaxEntries: h.int(env, 'ORDERFLOW_CACHE_MAX_ENTRIES', 50_000, 1),
    localMaxEntries: h.int(env, 'ORDERFLOW_CACHE_LOCAL_MAX_ENTRIES', 5_000, 1),
    localTtlMs: h.int(env, 'ORDERFLOW_CACHE_LOCAL_TTL_MS', 1_000, 1),
    readYourWritesMs: h.int(env, 'ORDERFLOW_READ_YOUR_WRITES_MS', 10_000, 0),
    replicaMaxLagMs: h.int(env, 'ORDERFLOW_REPLICA_MAX_LAG_MS', 1_000, 0),
    sqliteReader: sqliteReader === 'on',
  };
}
