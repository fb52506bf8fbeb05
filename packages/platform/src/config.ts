import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readResilienceConfig } from './resilience/resilience-config.ts';
import type { DependencyName, DependencyPolicyOptions } from './resilience/dependency-policy-options.ts';
import { loadDistributedConfig, type DistributedConfig } from './distributed-config.ts';
import { loadReadPathConfig, type ReadPathConfig } from './read-path-config.ts';

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
  /**
   * Embedded mode: `worker` (default) runs the pipeline (outbox relays, consumers, background jobs,
   * the built-in payment simulator) in a worker thread beside the HTTP edge; `inline` runs all of it
   * on the one event loop.
   */
  pipeline: 'worker' | 'inline';
  shutdownTimeoutMs: number;
  /** Requests per second per API key (and per address without a key), with a burst; `perKey` 0: off. */
  rateLimit: { perKey: number; burst: number };
  tracing: {
    /** ORDERFLOW_TRACING=off registers no tracer: every span is a no-op. */
    enabled: boolean;
    /** Spans kept in `<dataDir>/traces.db`, oldest dropped. */
    maxSpans: number;
    /** OTLP/HTTP collector base URL; unset: local store only. */
    otlpEndpoint: string | undefined;
  };
  /** Timeout, attempts, breaker and bulkhead per outside dependency. */
  resilience: Record<DependencyName, DependencyPolicyOptions>;
  /** Load shedding at the HTTP edge: past any limit, 503 + Retry-After before any work. 0 turns a limit off. */
  shedding: { maxEventLoopDelayMs: number; maxHeapUsedMb: number; maxInFlight: number; retryAfterSeconds: number };
  /** An order still awaiting payment this long after it was priced is cancelled (payment_failed); swept every `sweepMs`. */
  paymentDeadline: { deadlineMs: number; sweepMs: number };
  /**
   * Orders accepted together in one intake transaction at most (group commit: requests that arrive
   * while a transaction is in flight share the next one); 1: one transaction per order. Default 64
   * in distributed mode, 1 in embedded mode.
   */
  intakeBatch: number;
  /**
   * State-changing requests the HTTP edge starts per event-loop turn at most; reads that arrived in
   * between are answered first (`http/write-lane.ts`). 0: no lane, every request in arrival order.
   * Default 8 in embedded mode, 0 in distributed mode.
   */
  writesPerTurn: number;
  /** Distributed mode (PostgreSQL, NATS JetStream, Redis): see `distributed-config.ts`. */
  distributed: DistributedConfig;
  /** Cache, read-your-writes window and replica lag bound: see `read-path-config.ts` and docs/read-path.md. */
  readPath: ReadPathConfig;
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

function onOff(env: Env, name: string, def: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if (raw === 'on' || raw === 'true' || raw === '1') return true;
  if (raw === 'off' || raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}"`);
}

function oneOf<const T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
}

function url(env: Env, name: string): string | undefined {
  const raw = str(env, name);
  if (raw !== undefined && (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol))) throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return raw;
}

/**
 * A secret: `NAME` if set, else the trimmed contents of the file named by `NAME_FILE` (the
 * Docker and Kubernetes secrets convention), so secrets never need to sit in the environment.
 * @throws ConfigError when `NAME_FILE` names a file that cannot be read or is empty.
 */
function secret(env: Env, name: string): string | undefined {
  const direct = str(env, name);
  if (direct !== undefined) return direct;
  const file = str(env, `${name}_FILE`);
  if (file === undefined) return undefined;
  let value: string;
  try {
    value = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`${name}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (value === '') throw new ConfigError(`${name}_FILE: ${file} is empty`);
  return value;
}

function rateLimit(env: Env): Config['rateLimit'] {
  const perKey = num(env, 'ORDERFLOW_RATE_LIMIT_PER_KEY', 100, 0, 1_000_000);
  return { perKey, burst: num(env, 'ORDERFLOW_RATE_LIMIT_BURST', Math.max(1, perKey * 2), 1, 10_000_000) };
}

/**
 * Reads the configuration from `env` (default `process.env`).
 * @throws ConfigError naming the variable when a value is out of range.
 */
export function loadConfig(env: Env = process.env): Config {
  const distributed = loadDistributedConfig(env, { int, str });
  return {
    host: str(env, 'ORDERFLOW_HOST') ?? '127.0.0.1',
    port: int(env, 'ORDERFLOW_PORT', 8080, 0, 65535),
    dataDir: resolve(str(env, 'ORDERFLOW_DATA_DIR') ?? './data'),
    adminKey: secret(env, 'ORDERFLOW_ADMIN_KEY'),
    logLevel: str(env, 'ORDERFLOW_LOG_LEVEL') ?? 'info',
    payment: {
      url: str(env, 'ORDERFLOW_PAYMENT_URL'),
      secretKey: secret(env, 'ORDERFLOW_PAYMENT_KEY') ?? 'sk_test_orderflow',
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
    keyPepper: secret(env, 'ORDERFLOW_KEY_PEPPER'),
    pipeline: oneOf(env, 'ORDERFLOW_PIPELINE', ['worker', 'inline'] as const, 'worker'),
    shutdownTimeoutMs: int(env, 'ORDERFLOW_SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    rateLimit: rateLimit(env),
    tracing: {
      enabled: onOff(env, 'ORDERFLOW_TRACING', true),
      maxSpans: int(env, 'ORDERFLOW_TRACE_MAX_SPANS', 200_000, 1000),
      otlpEndpoint: url(env, 'ORDERFLOW_OTLP_ENDPOINT'),
    },
    resilience: readResilienceConfig(env, int),
    shedding: {
      maxEventLoopDelayMs: int(env, 'ORDERFLOW_SHED_EVENT_LOOP_DELAY_MS', 1_000, 0),
      maxHeapUsedMb: int(env, 'ORDERFLOW_SHED_HEAP_USED_MB', 0, 0),
      maxInFlight: int(env, 'ORDERFLOW_SHED_MAX_IN_FLIGHT', 2_048, 0),
      retryAfterSeconds: int(env, 'ORDERFLOW_SHED_RETRY_AFTER_S', 1, 1, 3600),
    },
    paymentDeadline: {
      deadlineMs: int(env, 'ORDERFLOW_PAYMENT_DEADLINE_MS', 15 * 60_000, 1),
      sweepMs: int(env, 'ORDERFLOW_PAYMENT_SWEEP_MS', 5_000, 1),
    },
    // Group commit pays on PostgreSQL (1.69x intake, bench:distributed) and not on SQLite (1.04x, `npm run bench -- group-commit`).
    intakeBatch: int(env, 'ORDERFLOW_INTAKE_BATCH', distributed.mode === 'distributed' ? 64 : 1, 1, 256),
    // Reads first pays where a write's work is synchronous (SQLite): `npm run bench -- write-lane`.
    writesPerTurn: int(env, 'ORDERFLOW_WRITES_PER_TURN', distributed.mode === 'distributed' ? 0 : 8, 0, 1024),
    distributed,
    readPath: loadReadPathConfig(env, { int, str }),
  };
}
