import { fingerprintOf } from './idempotency-gate.ts';
import { isReply, readAmount, readMetadata } from './form-params.ts';
import { newId } from './ids.ts';
import { delay, listLimit, listOf, type SimContext, type SimRequest } from './sim-context.ts';
import type { RefundRow } from './simulator-store.ts';
import { invalidRequest, resourceMissing, type SimReply } from './stripe-errors.ts';

/** The Stripe JSON of a refund. */
export function refundJson(r: RefundRow): Record<string, unknown> {
  return {
    id: r.id,
    object: 'refund',
    status: 'succeeded',
    payment_intent: r.paymentIntent,
    amount: r.amount,
    currency: r.currency,
    created: r.created,
  };
}

/** Refunds `amount` (default: all that is left) of a payment intent, or explains why not. */
function commitRefund(ctx: SimContext, piId: string, amount: number | undefined, key: string | undefined, fingerprint: string): SimReply {
  const pi = ctx.store.getPaymentIntent(piId);
  if (!pi) return resourceMissing('payment_intent', piId, 'payment_intent');
  const left = pi.amount - pi.amountRefunded;
  if (left <= 0) {
    return invalidRequest(`PaymentIntent ${piId} has already been refunded.`, undefined, 'charge_already_refunded');
  }
  if (amount !== undefined && amount > left) {
    return invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left}).`, 'amount', 'amount_too_large');
  }
  const row: RefundRow = {
    id: newId('re'),
    paymentIntent: piId,
    amount: amount ?? left,
    currency: pi.currency,
    created: Math.floor(Date.now() / 1000),
  };
  const body = refundJson(row);
  ctx.store.transaction(() => {
    ctx.store.addRefund(row);
    ctx.gate.remember(key, fingerprint, { status: 200, body });
  });
  return { status: 200, body };
}

/**
 * `POST /v1/refunds` with `payment_intent` and optional `amount`. Idempotency as for
 * charges; `latencyMs` applies, `failureRate` and `commitThenTimeoutNext` do not.
 * Unknown intent: 404 `resource_missing`; nothing left to refund: 400 `charge_already_refunded`.
 */
export async function createRefund(ctx: SimContext, req: SimRequest): Promise<SimReply> {
  const fingerprint = fingerprintOf('POST /v1/refunds', req.form);
  const early = ctx.gate.precheck(req.idempotencyKey, fingerprint);
  if (early) return early;
  const metadata = readMetadata(req.form, ['payment_intent', 'amount']);
  if (isReply(metadata)) return metadata;
  const piId = req.form.get('payment_intent');
  if (!piId) return invalidRequest('Missing required param: payment_intent.', 'payment_intent');
  const amount = readAmount(req.form, true);
  if (isReply(amount)) return amount;
  return ctx.gate.hold(req.idempotencyKey, async () => {
    await delay(ctx.knobs.latencyMs);
    return commitRefund(ctx, piId, amount, req.idempotencyKey, fingerprint);
  });
}

/** `GET /v1/refunds/{id}`. */
export function getRefund(ctx: SimContext, id: string): SimReply {
  const r = ctx.store.getRefund(id);
  return r ? { status: 200, body: refundJson(r) } : resourceMissing('refund', id);
}

/** `GET /v1/refunds[?payment_intent=...][&limit=...]`, oldest first. */
export function listRefunds(ctx: SimContext, req: SimRequest): SimReply {
  const limit = listLimit(req.query);
  if (isReply(limit)) return limit;
  const paymentIntent = req.query.get('payment_intent') ?? undefined;
  const rows = ctx.store.listRefunds({ limit: limit + 1, ...(paymentIntent === undefined ? {} : { paymentIntent }) });
  return listOf('/v1/refunds', rows.map(refundJson), limit);
}
