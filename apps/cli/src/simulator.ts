import { join } from 'node:path';
import { createLogger, type Config } from '@orderflow/platform';
import { startPaymentSimulator } from '@orderflow/provider-simulator';

/**
 * `orderflow simulator`: the payment-provider simulator as its own process, so every payments
 * instance of a cluster charges against one shared record (kept in `<dataDir>/payment-simulator.db`).
 * Listens on ORDERFLOW_SIMULATOR_PORT (default 0: a free port, logged).
 */
export async function runSimulator(config: Config): Promise<{ url: string; close(): Promise<void> }> {
  const logger = createLogger({ level: config.logLevel });
  const sim = await startPaymentSimulator({
    host: config.host,
    port: config.payment.simulator.port,
    latencyMs: config.payment.simulator.latencyMs,
    failureRate: config.payment.simulator.failureRate,
    secretKey: config.payment.secretKey,
    dataFile: join(config.dataDir, 'payment-simulator.db'),
  });
  logger.info({ url: sim.url }, 'payment simulator started');
  return sim;
}
