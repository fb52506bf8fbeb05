import { join } from 'node:path';
import {
  createFileSinkMailer,
  createSmtpMailer,
  createStripeCompatibleProvider,
  registerTracing,
  createResilienceKit,
  resilientMailer,
  resilientPaymentProvider,
  startRuntime,
  type Config,
  type Runtime,
} from '@orderflow/platform';
import { startPaymentSimulator } from '@orderflow/provider-simulator';
import { createOrdersService } from '@orderflow/orders';
import { createInventoryService } from '@orderflow/inventory';
import { createPaymentsService } from '@orderflow/payments';
import { createNotificationsService } from '@orderflow/notifications';

/**
 * The embedded composition root: all four services in one process and on one port, a SQLite file
 * each, the durable local broker, the built-in payment simulator unless ORDERFLOW_PAYMENT_URL is
 * set, and the mail sink unless ORDERFLOW_SMTP_URL is set.
 */
export async function startEmbedded(config: Config): Promise<Runtime & { paymentUrl: string }> {
  // The one place a tracer provider is registered (STYLE rule 12); ORDERFLOW_TRACING=off leaves the API a no-op.
  const tracing = registerTracing({
    enabled: config.tracing.enabled,
    dataDir: config.dataDir,
    maxSpans: config.tracing.maxSpans,
    otlpEndpoint: config.tracing.otlpEndpoint,
  });
  const simulator = config.payment.url
    ? undefined
    : await startPaymentSimulator({
        port: config.payment.simulator.port,
        latencyMs: config.payment.simulator.latencyMs,
        failureRate: config.payment.simulator.failureRate,
        secretKey: config.payment.secretKey,
        dataFile: join(config.dataDir, 'payment-simulator.db'),
      });
  const paymentUrl = config.payment.url ?? simulator!.url;
  const kit = createResilienceKit(config.resilience);
  const provider = createStripeCompatibleProvider({ baseUrl: paymentUrl, secretKey: config.payment.secretKey, timeoutMs: config.payment.timeoutMs, maxConnections: config.resilience.payment.concurrency });
  const rawMailer = config.mail.smtpUrl
    ? createSmtpMailer({ url: config.mail.smtpUrl, from: config.mail.from, timeoutMs: config.resilience.smtp.timeoutMs, maxConnections: config.resilience.smtp.concurrency })
    : createFileSinkMailer({ dir: join(config.dataDir, 'mail'), from: config.mail.from });
  const mailer = resilientMailer(rawMailer, kit.policy('smtp'));
  const runtime = await startRuntime({
    config,
    resilience: kit,
    spanStore: tracing.store,
    services: [createOrdersService(), createInventoryService(), createPaymentsService({ provider: resilientPaymentProvider(provider, kit.policy('payment')) }), createNotificationsService({ mailer })],
    onStopped: async () => {
      await tracing.shutdown();
      await provider.close();
      await mailer.close();
      await simulator?.close();
    },
  });
  runtime.logger.info({ paymentUrl, simulator: simulator !== undefined, mail: config.mail.smtpUrl ?? join(config.dataDir, 'mail') }, 'embedded mode');
  return Object.assign(runtime, { paymentUrl });
}
