import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Redis } from 'ioredis';

/** The servers the distributed tests use: this machine's, unless the environment names others. */
export const PG_ADMIN_URL = process.env.ORDERFLOW_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const NATS_URL = process.env.ORDERFLOW_NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.ORDERFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A short id that names this run's databases, roles, streams and keys, e.g. `t1a2b3c`. */
export function runId(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

/** Drops every database and role whose name starts with `prefix` (this run's only). */
export async function dropPgPrefix(prefix: string, adminUrl = PG_ADMIN_URL): Promise<void> {
  if (!/^[a-z0-9_]{4,}$/.test(prefix)) throw new Error(`refusing to drop by prefix "${prefix}"`);
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const like = `${prefix.replaceAll('_', '\\_')}%`;
    for (const r of (await c.query<{ datname: string }>('select datname from pg_database where datname like $1', [like])).rows) {
      await c.query(`drop database if exists "${r.datname}" with (force)`);
    }
    for (const r of (await c.query<{ rolname: string }>('select rolname from pg_roles where rolname like $1', [like])).rows) {
      await c.query(`drop role if exists "${r.rolname}"`);
    }
  } finally {
    await c.end();
  }
}

/** Deletes every JetStream stream named `<prefix>_...` (their consumers go with them). */
export async function deleteNatsPrefix(prefix: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const s of jsm.streams.list()) {
      if (s.config.name.startsWith(`${prefix}_`)) await jsm.streams.delete(s.config.name);
    }
  } finally {
    await nc.close();
  }
}

/** Deletes every Redis key that starts with `prefix` (this run's cache entries, marks and buckets). */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]{4,}:$/.test(prefix)) throw new Error(`refusing to delete by prefix "${prefix}"`);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    await redis.quit();
  }
}

export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
