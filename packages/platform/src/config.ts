import { resolve } from 'node:path';
import { loadDistributedConfig, type DistributedConfig } from './distributed-config.ts';

/** Typed configuration, read once from the environment. Every variable is documented in README. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Unset in the environment: generated once and kept in `<dataDir>/admin.key`. */
  adminKey: string | undefined;
  logLevel: string;
  payment: {
    /** Unset: the built-in simulator runs on loopback. */
    url: string | undefined;
    secretKey: string;
    timeoutMs: number;
    simulator: { port: number; latencyMs: number; failureRate: number };
  };
  mail: {
    /** Unset: messages go to the built-in sink under `<dataDir>/mail`. */
    smtpUrl: string | undefined;
    from: string;
  };
  broker: {
    maxAttempts: number;
    backoffBaseMs: number;
    backoffCapMs: number;
    pollMs: number;
  };
  keyPepper: string | undefined;
  shutdownTimeoutMs: number;
  /** Distributed mode (PostgreSQL, NATS JetStream, Redis): see `distributed-config.ts`. */
  distributed: DistributedConfig;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function num(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Reads the configuration from `env` (default `process.env`).
 * @throws ConfigError naming the variable when a value is out of range.
 */
export function loadConfig(env: Env = process.env): Config {
  return {
    host: str(env, 'ORDERFLOW_HOST') ?? '127.0.0.1',
    port: int(env, 'ORDERFLOW_PORT', 8080, 0, 65535),
    dataDir: resolve(str(env, 'ORDERFLOW_DATA_DIR') ?? './data'),
    adminKey: str(env, 'ORDERFLOW_ADMIN_KEY'),
    logLevel: str(env, 'ORDERFLOW_LOG_LEVEL') ?? 'info',
    payment: {
      url: str(env, 'ORDERFLOW_PAYMENT_URL'),
      secretKey: str(env, 'ORDERFLOW_PAYMENT_KEY') ?? 'sk_test_orderflow',
      timeoutMs: int(env, 'ORDERFLOW_PAYMENT_TIMEOUT_MS', 10_000, 1),
      simulator: {
        port: int(env, 'ORDERFLOW_SIMULATOR_PORT', 0, 0, 65535),
        latencyMs: int(env, 'ORDERFLOW_SIMULATOR_LATENCY_MS', 0, 0),
        failureRate: num(env, 'ORDERFLOW_SIMULATOR_FAILURE_RATE', 0, 0, 1),
      },
    },
    mail: {
      smtpUrl: str(env, 'ORDERFLOW_SMTP_URL'),
      from: str(env, 'ORDERFLOW_MAIL_FROM') ?? 'orderflow <orders@orderflow.local>',
    },
    broker: {
      maxAttempts: int(env, 'ORDERFLOW_BROKER_MAX_ATTEMPTS', 8, 1, 1000),
      backoffBaseMs: int(env, 'ORDERFLOW_BROKER_BACKOFF_BASE_MS', 200, 1),
      backoffCapMs: int(env, 'ORDERFLOW_BROKER_BACKOFF_CAP_MS', 30_000, 1),
      pollMs: int(env, 'ORDERFLOW_BROKER_POLL_MS', 100, 1),
    },
    keyPepper: str(env, 'ORDERFLOW_KEY_PEPPER'),
    shutdownTimeoutMs: int(env, 'ORDERFLOW_SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    distributed: loadDistributedConfig(env, { int, str }),
  };
}
