import type { ChargeRequest, ChargeResult, PaymentProvider, RefundRequest, RefundResult } from './payment-provider.ts';
import { PaymentProviderError } from './payment-provider-errors.ts';
import { createStripeHttp, type StripeAnswer } from './stripe-http.ts';
import { SpanKind, withSpan } from '../observability/spans.ts';

export interface StripeCompatibleProviderOptions {
  /** e.g. `https://api.stripe.com` or a simulator's URL; a path prefix is kept. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <secretKey>`. */
  secretKey: string;
  /** Deadline for one call, connect to last byte. Default 10 000 ms. */
  timeoutMs?: number;
  /** Keep-alive connections to the provider at most. Default 64. */
  maxConnections?: number;
}

interface StripeError {
  type?: string;
  code?: string;
  message?: string;
}

const MAX_AMOUNT = 99_999_999;

function invalid(detail: string): PaymentProviderError {
  return new PaymentProviderError('PAYMENT_PROVIDER_INVALID_REQUEST', detail);
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length < 1 || key.length > 255) throw invalid('idempotencyKey must be 1 to 255 characters');
}

function checkAmount(amount: number, name: string): void {
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > MAX_AMOUNT) {
    throw invalid(`${name} must be an integer from 1 to ${MAX_AMOUNT}, got ${amount}`);
  }
}

function checkCharge(req: ChargeRequest): void {
  checkKey(req.idempotencyKey);
  checkAmount(req.amountCents, 'amountCents');
  if (!/^[A-Za-z]{3}$/.test(req.currency)) throw invalid(`currency must be a three-letter ISO 4217 code, got '${req.currency}'`);
  if (!req.orderId || req.orderId.length > 500) throw invalid('orderId must be 1 to 500 characters');
  if (!req.paymentMethod) throw invalid('paymentMethod is required');
}

function stripeErrorOf(answer: StripeAnswer): StripeError {
  const error = (answer.body as { error?: unknown } | undefined)?.error;
  return typeof error === 'object' && error !== null ? (error as StripeError) : {};
}

/** Maps any answer that is neither a success nor a decline to the error to throw. */
function failureOf(what: string, answer: StripeAnswer): PaymentProviderError {
  const error = stripeErrorOf(answer);
  const shouldRetry = answer.headers['stripe-should-retry'];
  const details = {
    providerStatus: answer.status,
    ...(error.code === undefined ? {} : { providerCode: error.code }),
    ...(shouldRetry === 'true' || shouldRetry === 'false' ? { retryable: shouldRetry === 'true' } : {}),
  };
  const detail = `${what}: HTTP ${answer.status}${error.type ? ` ${error.type}` : ''}${error.code ? `/${error.code}` : ''}${
    error.message ? ` - ${error.message}` : ''
  }`;
  const s = answer.status;
  if (s === 409) return new PaymentProviderError('PAYMENT_PROVIDER_CONFLICT', detail, details);
  if (s === 429) return new PaymentProviderError('PAYMENT_PROVIDER_RATE_LIMITED', detail, details);
  if (s >= 500) return new PaymentProviderError('PAYMENT_PROVIDER_UNAVAILABLE', detail, details);
  if (s >= 400) return new PaymentProviderError('PAYMENT_PROVIDER_REJECTED', detail, details);
  return new PaymentProviderError('PAYMENT_PROVIDER_BAD_RESPONSE', detail, details);
}

function badResponse(detail: string, answer: StripeAnswer): PaymentProviderError {
  return new PaymentProviderError('PAYMENT_PROVIDER_BAD_RESPONSE', detail, { providerStatus: answer.status });
}

function chargeResultOf(answer: StripeAnswer): ChargeResult {
  if (answer.status === 402) {
    const error = stripeErrorOf(answer);
    if (error.type === 'card_error') {
      return { outcome: 'declined', code: error.code ?? 'card_declined', message: error.message ?? 'The card was declined.' };
    }
  }
  if (answer.status !== 200) throw failureOf('charge', answer);
  const pi = answer.body as { id?: unknown; status?: unknown; amount?: unknown; currency?: unknown } | undefined;
  if (typeof pi?.id !== 'string' || typeof pi.amount !== 'number' || typeof pi.currency !== 'string') {
    throw badResponse('charge: 200 without a payment intent id, amount and currency', answer);
  }
  if (pi.status !== 'succeeded') {
    throw badResponse(`charge: payment intent ${pi.id} is '${String(pi.status)}', only 'succeeded' is supported`, answer);
  }
  return { outcome: 'succeeded', paymentIntentId: pi.id, amountCents: pi.amount, currency: pi.currency.toUpperCase() };
}

/**
 * A PaymentProvider speaking Stripe's PaymentIntents API subset over a keep-alive undici
 * pool: `POST /v1/payment_intents` (form: amount, currency lower-cased, payment_method,
 * confirm=true, metadata[order_id]; headers Authorization and Idempotency-Key) and
 * `POST /v1/refunds`. It never retries.
 *
 * `charge` resolves `succeeded` (currency upper-cased) or `declined` (402 card_error);
 * `refund` resolves `alreadyRefunded: true` with the existing refund's id when the provider
 * answers `charge_already_refunded`. Both throw PaymentProviderError otherwise:
 * TIMEOUT, UNAVAILABLE (network, 5xx), CONFLICT (409), RATE_LIMITED (429) and ABORTED
 * are retryable; REJECTED (other 4xx), BAD_RESPONSE and INVALID_REQUEST (checked before
 * sending) are not. Stripe's `Stripe-Should-Retry` header overrides the flag.
 * @throws TypeError at creation for a baseUrl that is not http(s), an empty secretKey,
 *   or a non-positive timeoutMs/maxConnections.
 */
export function createStripeCompatibleProvider(opts: StripeCompatibleProviderOptions): PaymentProvider & { close(): Promise<void> } {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxConnections = opts.maxConnections ?? 64;
  if (!URL.canParse(opts.baseUrl) || !/^https?:$/.test(new URL(opts.baseUrl).protocol)) {
    throw new TypeError(`baseUrl must be an http(s) URL, got '${opts.baseUrl}'`);
  }
  if (!opts.secretKey) throw new TypeError('secretKey is required');
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new TypeError(`timeoutMs must be > 0, got ${timeoutMs}`);
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) throw new TypeError(`maxConnections must be an integer >= 1, got ${maxConnections}`);
  const http = createStripeHttp({ baseUrl: opts.baseUrl, secretKey: opts.secretKey, timeoutMs, maxConnections });

  async function existingRefundId(paymentIntentId: string, signal: AbortSignal | undefined): Promise<string> {
    const query = new URLSearchParams({ payment_intent: paymentIntentId, limit: '1' });
    const answer = await http.send('GET', `/v1/refunds?${query}`, { signal });
    if (answer.status !== 200) throw failureOf('refund lookup', answer);
    const first = (answer.body as { data?: Array<{ id?: unknown }> } | undefined)?.data?.[0];
    return typeof first?.id === 'string' ? first.id : '';
  }

  return {
    async charge(req, callOpts) {
      checkCharge(req);
      const form = new URLSearchParams({
        amount: String(req.amountCents),
        currency: req.currency.toLowerCase(),
        payment_method: req.paymentMethod,
        confirm: 'true',
        'metadata[order_id]': req.orderId,
      });
      return withSpan('payment_provider charge', { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'payment_provider', 'order.id': req.orderId } }, async (span) => {
        const answer = await http.send('POST', '/v1/payment_intents', { form, idempotencyKey: req.idempotencyKey, signal: callOpts?.signal });
        span.setAttribute('http.response.status_code', answer.status);
        const result = chargeResultOf(answer);
        span.setAttribute('payment.outcome', result.outcome);
        return result;
      });
    },

    async refund(req, callOpts): Promise<RefundResult> {
      checkKey(req.idempotencyKey);
      if (!req.paymentIntentId) throw invalid('paymentIntentId is required');
      if (req.amountCents !== undefined) checkAmount(req.amountCents, 'amountCents');
      const form = new URLSearchParams({ payment_intent: req.paymentIntentId });
      if (req.amountCents !== undefined) form.set('amount', String(req.amountCents));
      const answer = await withSpan('payment_provider refund', { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'payment_provider' } }, () =>
        http.send('POST', '/v1/refunds', { form, idempotencyKey: req.idempotencyKey, signal: callOpts?.signal }),
      );
      if (answer.status === 400 && stripeErrorOf(answer).code === 'charge_already_refunded') {
        return { refundId: await existingRefundId(req.paymentIntentId, callOpts?.signal), alreadyRefunded: true };
      }
      if (answer.status !== 200) throw failureOf('refund', answer);
      const id = (answer.body as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string') throw badResponse('refund: 200 without a refund id', answer);
      return { refundId: id, alreadyRefunded: false };
    },

    close: () => http.close(),
  };
}
