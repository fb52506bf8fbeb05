import { ConfigError } from './config.ts';

type Env = Record<string, string | undefined>;

/** Distributed mode's settings. Every variable is documented in README. */
export interface DistributedConfig {
  /** `embedded` (default for `start`): SQLite and the local broker. `distributed`: PostgreSQL and NATS. */
  mode: 'embedded' | 'distributed';
  postgres: {
    /** Admin connection used to create each service's database and role; default the local server. */
    url: string;
    /** Create missing databases and roles on start; default true. Off where a DBA made them. */
    provision: boolean;
    /** Database and role of service `s` are `<prefix><s>`; default `orderflow_`. */
    databasePrefix: string;
    /** A service's own URL (`ORDERFLOW_POSTGRES_URL_<SERVICE>`), overriding the derived one. */
    serviceUrls: Record<string, string>;
    /** A service's read replica (`ORDERFLOW_POSTGRES_REPLICA_URL_<SERVICE>`). */
    replicaUrls: Record<string, string>;
    poolSize: number;
    statementTimeoutMs: number;
  };
  nats: { url: string; prefix: string; ackWaitMs: number };
  redis: { url: string; prefix: string };
}

function perService(env: Env, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(prefix) && v) out[k.slice(prefix.length).toLowerCase()] = v;
  }
  return out;
}

/**
 * Reads distributed mode's settings; `helpers` are config.ts's typed readers.
 * @throws ConfigError (from the helpers) naming a variable that is out of range.
 */
export function loadDistributedConfig(
  env: Env,
  h: { int(env: Env, name: string, def: number, min?: number, max?: number): number; str(env: Env, name: string): string | undefined },
): DistributedConfig {
  const mode = h.str(env, 'ORDERFLOW_MODE') ?? 'embedded';
  if (mode !== 'embedded' && mode !== 'distributed') throw new ConfigError(`ORDERFLOW_MODE must be "embedded" or "distributed", got "${mode}"`);
  const provision = h.str(env, 'ORDERFLOW_POSTGRES_PROVISION') ?? 'true';
  return {
    mode,
    postgres: {
      url: h.str(env, 'ORDERFLOW_POSTGRES_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      provision: provision !== 'false' && provision !== '0',
      databasePrefix: h.str(env, 'ORDERFLOW_POSTGRES_DB_PREFIX') ?? 'orderflow_',
      serviceUrls: perService(env, 'ORDERFLOW_POSTGRES_URL_'),
      replicaUrls: perService(env, 'ORDERFLOW_POSTGRES_REPLICA_URL_'),
      poolSize: h.int(env, 'ORDERFLOW_POSTGRES_POOL_SIZE', 10, 1, 1000),
      statementTimeoutMs: h.int(env, 'ORDERFLOW_POSTGRES_STATEMENT_TIMEOUT_MS', 5_000, 0),
    },
    nats: {
      url: h.str(env, 'ORDERFLOW_NATS_URL') ?? 'nats://127.0.0.1:4222',
      prefix: h.str(env, 'ORDERFLOW_NATS_PREFIX') ?? 'orderflow',
      ackWaitMs: h.int(env, 'ORDERFLOW_NATS_ACK_WAIT_MS', 30_000, 1_000),
    },
    redis: {
      url: h.str(env, 'ORDERFLOW_REDIS_URL') ?? 'redis://127.0.0.1:6379',
      prefix: h.str(env, 'ORDERFLOW_REDIS_PREFIX') ?? 'orderflow:',
    },
  };
}
