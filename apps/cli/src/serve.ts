import {
  createResilienceKit,
  startRuntime,
  ConfigError,
  registerTracing,
  type Config,
  type Runtime,
  type ServiceModule,
} from '@orderflow/platform';
import { createOrdersService } from '@orderflow/orders';
import { createInventoryService } from '@orderflow/inventory';
import { createPaymentsService } from '@orderflow/payments';
import { createNotificationsService } from '@orderflow/notifications';
import { mailClaimGraceMs, openMailer, openPaymentProvider } from './pipeline-parts.ts';

export const SERVICE_NAMES = ['orders', 'inventory', 'payments', 'notifications'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Distributed mode's composition root: one service in this process, on PostgreSQL and NATS
 * JetStream (ORDERFLOW_MODE is taken as `distributed`). Payments need ORDERFLOW_PAYMENT_URL (a
 * provider, or `orderflow simulator` shared by every instance); notifications send to
 * ORDERFLOW_SMTP_URL, or to a file sink under ORDERFLOW_DATA_DIR (a directory all instances share).
 * Spans go to `<ORDERFLOW_DATA_DIR>/traces.db`, one store that every instance on the machine writes
 * (as `orderflow cluster` runs them), so `orderflow trace` and `orderflow slow` see a whole order;
 * across machines, ORDERFLOW_OTLP_ENDPOINT sends them to a collector as well.
 * @throws ConfigError for an unknown service or a payments instance without a provider URL.
 */
export async function serveService(name: string, base: Config): Promise<Runtime> {
  if (!(SERVICE_NAMES as readonly string[]).includes(name)) throw new ConfigError(`unknown service "${name}"; one of ${SERVICE_NAMES.join(', ')}`);
  const config: Config = { ...base, distributed: { ...base.distributed, mode: 'distributed' } };
  const closers: Array<() => Promise<void>> = [];
  // The same policies as embedded mode: provider and SMTP calls here, broker, PostgreSQL and Redis in the runtime.
  const kit = createResilienceKit(config.resilience);
  let service: ServiceModule;
  switch (name as ServiceName) {
    case 'orders':
      service = createOrdersService();
      break;
    case 'inventory':
      service = createInventoryService();
      break;
    case 'payments': {
      if (!config.payment.url) throw new ConfigError('ORDERFLOW_PAYMENT_URL must name the payment provider (e.g. `orderflow simulator`) for `serve payments`');
      const payments = openPaymentProvider(config, kit, config.payment.url);
      closers.push(() => payments.close());
      service = createPaymentsService({ provider: payments.provider });
      break;
    }
    case 'notifications': {
      const mailer = openMailer(config, kit);
      closers.push(() => mailer.close());
      service = createNotificationsService({ mailer, claimGraceMs: mailClaimGraceMs(config) });
      break;
    }
  }
  // The one place a tracer provider is registered in this process (STYLE rule 12).
  const tracing = registerTracing({
    enabled: config.tracing.enabled,
    dataDir: config.dataDir,
    maxSpans: config.tracing.maxSpans,
    otlpEndpoint: config.tracing.otlpEndpoint,
    service: name,
  });
  closers.push(() => tracing.shutdown());
  return startRuntime({
    config,
    resilience: kit,
    spanStore: tracing.store,
    services: [service],
    onStopped: async () => {
      for (const c of closers) await c();
    },
  });
}
