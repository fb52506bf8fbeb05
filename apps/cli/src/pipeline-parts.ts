import { join } from 'node:path';
import {
  createFileSinkMailer,
  createSmtpMailer,
  createStripeCompatibleProvider,
  createResilienceKit,
  resilientMailer,
  resilientPaymentProvider,
  type Config,
  type Mailer,
  type PaymentProvider,
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
  const payments = openPaymentProvider(config, kit, paymentUrl);
  const mailer = openMailer(config, kit);
  return {
    kit,
    paymentUrl,
    simulator: simulator !== undefined,
    services: [createPaymentsService({ provider: payments.provider }), createNotificationsService({ mailer, claimGraceMs: mailClaimGraceMs(config) })],
    async close() {
      await payments.close();
      await mailer.close();
      await simulator?.close();
    },
  };
}

/** The Stripe-compatible provider client at `baseUrl`, under the kit's `payment` policy. */
export function openPaymentProvider(config: Config, kit: ResilienceKit, baseUrl: string): { provider: PaymentProvider; close(): Promise<void> } {
  const client = createStripeCompatibleProvider({ baseUrl, secretKey: config.payment.secretKey, timeoutMs: config.payment.timeoutMs, maxConnections: config.resilience.payment.concurrency });
  return { provider: resilientPaymentProvider(client, kit.policy('payment')), close: () => client.close() };
}

/** How long a mail claim may belong to a send still in flight: well past the SMTP timeouts (connect, greeting, reply). */
export function mailClaimGraceMs(config: Config): number {
  return Math.max(60_000, 4 * config.resilience.smtp.timeoutMs);
}

/** SMTP at ORDERFLOW_SMTP_URL, or the file sink under `<dataDir>/mail`, under the kit's `smtp` policy. */
export function openMailer(config: Config, kit: ResilienceKit): Mailer {
  const raw = config.mail.smtpUrl
    ? createSmtpMailer({ url: config.mail.smtpUrl, from: config.mail.from, timeoutMs: config.resilience.smtp.timeoutMs, maxConnections: config.resilience.smtp.concurrency })
    : createFileSinkMailer({ dir: join(config.dataDir, 'mail'), from: config.mail.from });
  return resilientMailer(raw, kit.policy('smtp'));
}
