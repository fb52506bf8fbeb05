import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileSinkMailer, createStripeCompatibleProvider, loadConfig, startRuntime, type Runtime } from '@orderflow/platform';
import { startPaymentSimulator } from '@orderflow/provider-simulator';
import { createOrdersService } from '@orderflow/orders';
import { createInventoryService } from '@orderflow/inventory';
import { createPaymentsService } from '@orderflow/payments';
import { createNotificationsService } from '@orderflow/notifications';
import { NATS_URL, PG_ADMIN_URL, deleteNatsPrefix, deleteRedisPrefix, dropPgPrefix, runId } from './distributed.ts';

export interface InProcessSystem {
  readonly runtime: Runtime;
  readonly url: string;
  readonly adminKey: string;
  /** Namespace of this run's databases (`<ns>_<service>`), streams and Redis keys. */
  readonly ns: string;
  /** Stops the runtime (graceful) and the simulator; idempotent. */
  stop(): Promise<void>;
  /** stop(), then drops this run's databases, roles and streams and removes the data dir. */
  cleanup(): Promise<void>;
}

/**
 * The whole system in distributed mode inside the test process — all four services on PostgreSQL,
 * NATS JetStream and Redis, the payment simulator, a file mail sink — so a test can reach into it
 * (its metrics, the pg driver) while every component is real. `env` overrides any setting.
 */
export async function startInProcessSystem(envFor: Record<string, string> | ((ns: string) => Record<string, string>) = {}): Promise<InProcessSystem> {
  const ns = `of_p${runId().slice(1)}`;
  const env = typeof envFor === 'function' ? envFor(ns) : envFor;
  const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-inproc-'));
  const simulator = await startPaymentSimulator({ port: 0, dataFile: join(dataDir, 'sim.db') });
  const adminUrl = env.ORDERFLOW_POSTGRES_URL ?? PG_ADMIN_URL;
  const config = loadConfig({
    ORDERFLOW_MODE: 'distributed',
    ORDERFLOW_PORT: '0',
    ORDERFLOW_DATA_DIR: dataDir,
    ORDERFLOW_ADMIN_KEY: 'in-process-admin',
    ORDERFLOW_POSTGRES_URL: adminUrl,
    ORDERFLOW_POSTGRES_DB_PREFIX: `${ns}_`,
    ORDERFLOW_NATS_URL: NATS_URL,
    ORDERFLOW_NATS_PREFIX: ns,
    ORDERFLOW_REDIS_PREFIX: `${ns}:`,
    ORDERFLOW_RATE_LIMIT_PER_KEY: '0',
    ORDERFLOW_TRACING: 'off',
    ORDERFLOW_LOG_LEVEL: 'warn',
    ORDERFLOW_PAYMENT_URL: simulator.url,
    ...env,
  });
  const provider = createStripeCompatibleProvider({ baseUrl: simulator.url, secretKey: config.payment.secretKey, timeoutMs: 5_000 });
  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      config,
      services: [createOrdersService(), createInventoryService(), createPaymentsService({ provider }), createNotificationsService({ mailer: createFileSinkMailer({ dir: join(dataDir, 'mail') }) })],
      onStopped: () => provider.close(),
    });
  } catch (error) {
    await simulator.close();
    await dropPgPrefix(`${ns}_`, adminUrl).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= runtime.stop().then(() => simulator.close()));
  return {
    runtime,
    url: runtime.url,
    adminKey: runtime.adminKey,
    ns,
    stop,
    async cleanup() {
      await stop();
      await dropPgPrefix(`${ns}_`, adminUrl);
      await deleteNatsPrefix(ns);
      await deleteRedisPrefix(`${ns}:`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
