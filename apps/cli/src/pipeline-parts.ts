import { join } from 'node:path';
import {
  createFileSinkMailer,
  createSmtpMailer,
  createStripeCompatibleProvider,
  createResilienceKit,
  resilientMailer,
  resilientPaymentProvider,
  type Config,
  type ResilienceKit,
  type ServiceModule,
} from '@orderflow/platform';
import { startPaymentSimulator } from '@orderflow/provider-simulator';
import { createPaymentsService } from '@orderflow/payments';
import { createNotificationsService } from '@orderflow/notifications';

/** The pipeline's outside world in embedded mode: the payment provider (or the built-in simulator) and the mailer. */
export interface PipelineParts {
  readonly kit: ResilienceKit;
  readonly paymentUrl: string;
  readonly simulator: boolean;
  /** payments and notifications, wired to the provider and the mailer under the kit's policies. */
  readonly services: readonly ServiceModule[];
  close(): Promise<void>;
}

/**
 * The built-in payment simulator unless ORDERFLOW_PAYMENT_URL is set, the mail sink unless
 * ORDERFLOW_SMTP_URL is set, and the two services that call them.
 */
export async function openPipelineParts(config: Config): Promise<PipelineParts> {
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
  return {
    kit,
    paymentUrl,
    simulator: simulator !== undefined,
    services: [createPaymentsService({ provider: resilientPaymentProvider(provider, kit.policy('payment')) }), createNotificationsService({ mailer })],
    async close() {
      await provider.close();
      await mailer.close();
      await simulator?.close();
    },
  };
}
