import { fingerprintOf } from './idempotency-gate.ts';
import { isReply, readAmount, readMetadata } from './form-params.ts';
import { newId } from './ids.ts';
import { delay, HANG, listLimit, listOf, type HandlerResult, type SimContext, type SimRequest } from './sim-context.ts';
import type { PaymentIntentRow } from './simulator-store.ts';
import { apiError, cardDeclined, invalidRequest, resourceMissing, type SimReply } from './stripe-errors.ts';
import { outcomeOf } from './test-payment-methods.ts';

const FIELDS = ['amount', 'currency', 'payment_method', 'confirm'] as const;

interface ChargeParams {
  amount: number;
  currency: string;
  paymentMethod: string;
  metadata: Record<string, string>;
}

/** The Stripe JSON of a payment intent. */
export function paymentIntentJson(pi: PaymentIntentRow): Record<string, unknown> {
  return {
    id: pi.id,
    object: 'payment_intent',
    status: 'succeeded',
    amount: pi.amount,
    amount_received: pi.amount,
    currency: pi.currency,
    payment_method: pi.paymentMethod,
    metadata: pi.metadata,
    created: pi.created,
    livemode: false,
  };
}

function readChargeParams(form: Map<string, string>): ChargeParams | SimReply {
  const metadata = readMetadata(form, FIELDS);
  if (isReply(metadata)) return metadata;
  const amount = readAmount(form);
  if (isReply(amount)) return amount;
  const currency = form.get('currency');
  if (currency === undefined) return invalidRequest('Missing required param: currency.', 'currency');
  if (!/^[A-Za-z]{3}$/.test(currency)) return invalidRequest(`Invalid currency: ${currency}. Use a three-letter ISO code.`, 'currency');
  const paymentMethod = form.get('payment_method');
  if (paymentMethod === undefined) return invalidRequest('Missing required param: payment_method.', 'payment_method');
  if (outcomeOf(paymentMethod).kind === 'unknown') {
    return invalidRequest(`No such PaymentMethod: '${paymentMethod}'`, 'payment_method', 'resource_missing');
  }
  if (form.get('confirm') !== 'true') {
    return invalidRequest('The simulator only supports confirm=true (create and confirm in one call).', 'confirm');
  }
  return { amount: amount!, currency: currency.toLowerCase(), paymentMethod, metadata };
}

/** Executes a validated charge: commits the payment intent (or the decline) with its idempotency record. */
function commitCharge(ctx: SimContext, p: ChargeParams, key: string | undefined, fingerprint: string): SimReply {
  const outcome = outcomeOf(p.paymentMethod);
  if (outcome.kind === 'declines') {
    const reply = cardDeclined(outcome.code, outcome.declineCode, outcome.message);
    ctx.store.transaction(() => ctx.gate.remember(key, fingerprint, { status: reply.status, body: reply.body }));
    return reply;
  }
  const row: PaymentIntentRow = {
    id: newId('pi'),
    amount: p.amount,
    currency: p.currency,
    paymentMethod: p.paymentMethod,
    orderId: p.metadata['order_id'] ?? null,
    metadata: p.metadata,
    amountRefunded: 0,
    created: Math.floor(Date.now() / 1000),
  };
  const body = paymentIntentJson(row);
  ctx.store.transaction(() => {
    ctx.store.insertPaymentIntent(row);
    ctx.gate.remember(key, fingerprint, { status: 200, body });
  });
  return { status: 200, body };
}

/**
 * `POST /v1/payment_intents` with `confirm=true`. Order of checks: stored answer or key
 * conflict, parameter validation, key in flight (409), then `latencyMs`, the `failureRate`
 * dice (500, nothing stored), the commit, and the `commitThenTimeoutNext` hang.
 */
export async function createPaymentIntent(ctx: SimContext, req: SimRequest): Promise<HandlerResult> {
  const fingerprint = fingerprintOf('POST /v1/payment_intents', req.form);
  const early = ctx.gate.precheck(req.idempotencyKey, fingerprint);
  if (early) return early;
  const params = readChargeParams(req.form);
  if (isReply(params)) return params;
  return ctx.gate.hold(req.idempotencyKey, async () => {
    await delay(ctx.knobs.latencyMs);
    if (ctx.knobs.failureRate > 0 && Math.random() < ctx.knobs.failureRate) return apiError();
    const reply = commitCharge(ctx, params, req.idempotencyKey, fingerprint);
    if (ctx.knobs.commitThenTimeoutNext > 0) {
      ctx.knobs.commitThenTimeoutNext -= 1;
      return HANG;
    }
    return reply;
  });
}

/** `GET /v1/payment_intents/{id}`. */
export function getPaymentIntent(ctx: SimContext, id: string): SimReply {
  const pi = ctx.store.getPaymentIntent(id);
  return pi ? { status: 200, body: paymentIntentJson(pi) } : resourceMissing('payment_intent', id);
}

/**
 * `GET /v1/payment_intents[?metadata_order_id=...][&limit=...]`, oldest first.
 * `metadata_order_id` is a simulator extension (real Stripe uses its search API for this).
 */
export function listPaymentIntents(ctx: SimContext, req: SimRequest): SimReply {
  const limit = listLimit(req.query);
  if (isReply(limit)) return limit;
  const orderId = req.query.get('metadata_order_id') ?? undefined;
  const rows = ctx.store.listPaymentIntents({ limit: limit + 1, ...(orderId === undefined ? {} : { orderId }) });
  return listOf('/v1/payment_intents', rows.map(paymentIntentJson), limit);
}
