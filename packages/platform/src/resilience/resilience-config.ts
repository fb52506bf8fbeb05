import { dependencyDefaults, type DependencyName, type DependencyPolicyOptions } from './dependency-policy-options.ts';

type Env = Record<string, string | undefined>;
type IntReader = (env: Env, name: string, def: number, min?: number, max?: number) => number;

const PREFIX: Record<DependencyName, string> = {
  payment: 'ORDERFLOW_PAYMENT',
  smtp: 'ORDERFLOW_SMTP',
  'payment-admin': 'ORDERFLOW_RECONCILE_PAYMENT',
  broker: 'ORDERFLOW_PUBLISH',
  postgres: 'ORDERFLOW_POSTGRES',
  'postgres-replica': 'ORDERFLOW_POSTGRES_REPLICA',
  redis: 'ORDERFLOW_REDIS',
};

/**
 * Per-dependency policy settings from `<PREFIX>_TIMEOUT_MS`, `_ATTEMPTS`, `_BREAKER_THRESHOLD`,
 * `_BREAKER_HALF_OPEN_MS`, `_CONCURRENCY`, `_QUEUE` (PREFIX: ORDERFLOW_PAYMENT, ORDERFLOW_SMTP,
 * ORDERFLOW_RECONCILE_PAYMENT, ORDERFLOW_PUBLISH (broker publish), ORDERFLOW_POSTGRES,
 * ORDERFLOW_POSTGRES_REPLICA, ORDERFLOW_REDIS), each defaulting to `dependencyDefaults`.
 */
export function readResilienceConfig(env: Env, int: IntReader): Record<DependencyName, DependencyPolicyOptions> {
  const out = {} as Record<DependencyName, DependencyPolicyOptions>;
  for (const dep of Object.keys(dependencyDefaults) as DependencyName[]) {
    const d = dependencyDefaults[dep];
    const p = PREFIX[dep];
    out[dep] = {
      timeoutMs: int(env, `${p}_TIMEOUT_MS`, d.timeoutMs, 1),
      maxAttempts: int(env, `${p}_ATTEMPTS`, d.maxAttempts, 1, 3),
      backoffBaseMs: d.backoffBaseMs,
      backoffCapMs: d.backoffCapMs,
      breakerThreshold: int(env, `${p}_BREAKER_THRESHOLD`, d.breakerThreshold, 1),
      breakerHalfOpenMs: int(env, `${p}_BREAKER_HALF_OPEN_MS`, d.breakerHalfOpenMs, 1),
      concurrency: int(env, `${p}_CONCURRENCY`, d.concurrency, 1),
      queue: int(env, `${p}_QUEUE`, d.queue, 0),
    };
  }
  return out;
}
