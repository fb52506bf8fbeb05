import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { createResilienceKit, createStripeCompatibleProvider, loadConfig, openSqliteDatabase, resilientPaymentProvider, type Config } from '@orderflow/platform';
import { refundKey } from '@orderflow/payments';

export type DifferenceKind = 'double_charge' | 'charged_not_confirmed' | 'confirmed_not_charged';

export interface Difference {
  orderId: string;
  kind: DifferenceKind;
  orderStatus: string;
  /** Provider charges for the order that are not refunded. */
  liveCharges: string[];
  repaired?: string[];
}

export interface ReconcileReport {
  orders: number;
  charges: number;
  differences: Difference[];
}

interface ProviderIntent {
  id: string;
  amount: number;
}

/**
 * Compares the provider's charges with orders' states, order by order: a cancelled order must hold
 * no live charge, a confirmed order exactly one, any order at most one. With `repair`, refunds what
 * it safely can — the charges of a cancelled order (with payments' own refund key, so a refund
 * payments makes as well is the same refund) and every charge past the first — and never confirms
 * or cancels an order: `confirmed_not_charged` is reported for a person to look at.
 */
export async function reconcile(config: Config, opts: { repair: boolean }): Promise<ReconcileReport> {
  const ordersFile = join(config.dataDir, 'orders.db');
  if (!existsSync(ordersFile)) throw new Error(`no orders database at ${ordersFile}`);
  const orders = await openSqliteDatabase<{ orders: { id: string; status: string } }>({ file: ordersFile, migrations: [] });
  const baseUrl = config.payment.url ?? (await simulatorUrl(config));
  const kit = createResilienceKit(config.resilience);
  const raw = createStripeCompatibleProvider({ baseUrl, secretKey: config.payment.secretKey, timeoutMs: config.resilience['payment-admin'].timeoutMs });
  const provider = resilientPaymentProvider(raw, kit.policy('payment-admin'));
  const policy = kit.policy('payment-admin');
  const get = (path: string) =>
    policy.execute(async (signal) => {
      const r = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${config.payment.secretKey}` }, signal });
      if (r.status >= 500) throw Object.assign(new Error(`provider ${path}: ${r.status}`), { retryable: true });
      if (r.status !== 200) throw Object.assign(new Error(`provider ${path}: ${r.status}`), { retryable: false });
      return (await r.json()) as { data: Array<ProviderIntent & { amount_refunded?: number }> };
    });
  try {
    const rows: Array<{ id: string; status: string }> = await orders.db.selectFrom('orders').select(['id', 'status']).where('status', '<>', 'pending').orderBy('id').execute();
    const report: ReconcileReport = { orders: rows.length, charges: 0, differences: [] };
    for (const o of rows) {
      const intents = (await get(`/v1/payment_intents?metadata_order_id=${encodeURIComponent(o.id)}&limit=100`)).data;
      report.charges += intents.length;
      const live: ProviderIntent[] = [];
      for (const pi of intents) {
        const refunds = (await get(`/v1/refunds?payment_intent=${encodeURIComponent(pi.id)}&limit=100`)).data;
        if (refunds.reduce((s, r) => s + r.amount, 0) < pi.amount) live.push(pi);
      }
      const diff = (kind: DifferenceKind, toRefund: Array<{ pi: ProviderIntent; key: string }>) => {
        report.differences.push({ orderId: o.id, kind, orderStatus: o.status, liveCharges: live.map((p) => p.id), ...(opts.repair ? { repaired: toRefund.map((r) => r.pi.id) } : {}) });
        return toRefund;
      };
      let refunds: Array<{ pi: ProviderIntent; key: string }> = [];
      if (o.status === 'cancelled' && live.length > 0) refunds = diff('charged_not_confirmed', live.map((pi, i) => ({ pi, key: i === 0 ? refundKey(o.id) : `orderflow-reconcile-refund-${pi.id}` })));
      else if (live.length > 1) refunds = diff('double_charge', live.slice(1).map((pi) => ({ pi, key: `orderflow-reconcile-refund-${pi.id}` })));
      else if (o.status === 'confirmed' && live.length === 0) diff('confirmed_not_charged', []);
      if (opts.repair) for (const r of refunds) await provider.refund({ paymentIntentId: r.pi.id, idempotencyKey: r.key });
    }
    return report;
  } finally {
    await raw.close();
    await orders.close();
  }
}

/** The built-in simulator's URL, from the last `embedded mode` start (it listens while orderflow runs). */
async function simulatorUrl(config: Config): Promise<string> {
  if (config.payment.simulator.port > 0) return `http://127.0.0.1:${config.payment.simulator.port}`;
  throw new Error('set ORDERFLOW_PAYMENT_URL (or ORDERFLOW_SIMULATOR_PORT for the built-in simulator) to reconcile');
}

/** `orderflow reconcile [--repair] [--json]`: exit code 0 when nothing differs (or all was repaired), 1 otherwise. */
export async function reconcileCommand(opts: { repair?: boolean; json?: boolean }): Promise<number> {
  const report = await reconcile(loadConfig(), { repair: opts.repair ?? false });
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`orders ${report.orders}, provider charges ${report.charges}, differences ${report.differences.length}`);
    for (const d of report.differences) console.log(`${d.orderId}\t${d.kind}\tstatus=${d.orderStatus}\tlive=${d.liveCharges.join(',')}${d.repaired ? `\trefunded=${d.repaired.join(',')}` : ''}`);
  }
  const unrepaired = report.differences.filter((d) => !d.repaired || d.kind === 'confirmed_not_charged');
  return unrepaired.length === 0 ? 0 : 1;
}
