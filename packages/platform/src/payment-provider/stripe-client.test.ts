import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startPaymentSimulator, type PaymentSimulator } from '@orderflow/provider-simulator';
import { PaymentProviderError, createStripeCompatibleProvider, type ChargeRequest, type PaymentProvider } from './index.ts';

const SECRET = 'sk_test_orderflow';

async function chargesAt(sim: PaymentSimulator, orderId: string): Promise<number> {
  const res = await fetch(`${sim.url}/v1/payment_intents?metadata_order_id=${encodeURIComponent(orderId)}`, {
    headers: { authorization: `Bearer ${SECRET}` },
  });
  return ((await res.json()) as { data: unknown[] }).data.length;
}

function chargeOf(orderId: string, overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return { orderId, amountCents: 4200, currency: 'USD', paymentMethod: 'pm_card_visa', idempotencyKey: `charge-${orderId}`, ...overrides };
}

async function rejectsWith(p: Promise<unknown>, code: string, retryable: boolean): Promise<PaymentProviderError> {
  const err = await p.then(
    () => assert.fail('expected a PaymentProviderError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PaymentProviderError, `not a PaymentProviderError: ${String(err)}`);
  assert.equal(err.name, 'PaymentProviderError');
  assert.equal(err.code, code);
  assert.equal(err.retryable, retryable);
  return err;
}

describe('Stripe-compatible provider against the simulator', () => {
  let sim: PaymentSimulator;
  let provider: PaymentProvider & { close(): Promise<void> };
  before(async () => {
    sim = await startPaymentSimulator({ secretKey: SECRET });
    provider = createStripeCompatibleProvider({ baseUrl: sim.url, secretKey: SECRET, timeoutMs: 300 });
  });
  after(async () => {
    await provider.close();
    await sim.close();
  });
  beforeEach(() => sim.setKnobs({ latencyMs: 0, failureRate: 0, commitThenTimeoutNext: 0 }));

  it('charges a card and returns the payment intent', async () => {
    const result = await provider.charge(chargeOf('ord-1'));
    assert.equal(result.outcome, 'succeeded');
    assert.ok(result.outcome === 'succeeded');
    assert.match(result.paymentIntentId, /^pi_/);
    assert.equal(result.amountCents, 4200);
    assert.equal(result.currency, 'USD');
    assert.equal(await chargesAt(sim, 'ord-1'), 1);
  });

  it('returns a decline as a value, not an error', async () => {
    const result = await provider.charge(chargeOf('ord-decline', { paymentMethod: 'pm_card_chargeDeclined' }));
    assert.deepEqual(result, { outcome: 'declined', code: 'card_declined', message: 'Your card was declined.' });
    assert.equal(await chargesAt(sim, 'ord-decline'), 0);
  });

  it('charges once for the same idempotency key', async () => {
    const first = await provider.charge(chargeOf('ord-same-key'));
    const second = await provider.charge(chargeOf('ord-same-key'));
    assert.deepEqual(second, first);
    assert.equal(await chargesAt(sim, 'ord-same-key'), 1);
  });

  it('throws a retryable TIMEOUT when the provider commits and never answers, and a retry with the key finds the one charge', async () => {
    sim.setKnobs({ commitThenTimeoutNext: 1 });
    const req = chargeOf('ord-timeout');
    await rejectsWith(provider.charge(req), 'PAYMENT_PROVIDER_TIMEOUT', true);
    const retried = await provider.charge(req);
    assert.equal(retried.outcome, 'succeeded');
    assert.equal(await chargesAt(sim, 'ord-timeout'), 1);
  });

  it('throws a retryable UNAVAILABLE on a 500 and charges nothing', async () => {
    sim.setKnobs({ failureRate: 1 });
    const err = await rejectsWith(provider.charge(chargeOf('ord-500')), 'PAYMENT_PROVIDER_UNAVAILABLE', true);
    assert.equal(err.providerStatus, 500);
    assert.equal(await chargesAt(sim, 'ord-500'), 0);
  });

  it('throws a retryable CONFLICT while the same key is still in flight', async () => {
    sim.setKnobs({ latencyMs: 150 });
    const first = provider.charge(chargeOf('ord-409'));
    await new Promise((r) => setTimeout(r, 30));
    const err = await rejectsWith(provider.charge(chargeOf('ord-409')), 'PAYMENT_PROVIDER_CONFLICT', true);
    assert.equal(err.providerCode, 'idempotency_key_in_use');
    assert.equal((await first).outcome, 'succeeded');
  });

  it('throws a non-retryable REJECTED when a key is reused for another charge', async () => {
    await provider.charge(chargeOf('ord-reuse'));
    const err = await rejectsWith(provider.charge(chargeOf('ord-reuse', { amountCents: 1 })), 'PAYMENT_PROVIDER_REJECTED', false);
    assert.equal(err.providerStatus, 400);
  });

  it('throws INVALID_REQUEST before sending a bad charge', async () => {
    await rejectsWith(provider.charge(chargeOf('ord-bad', { amountCents: 0 })), 'PAYMENT_PROVIDER_INVALID_REQUEST', false);
    await rejectsWith(provider.charge(chargeOf('ord-bad', { idempotencyKey: '' })), 'PAYMENT_PROVIDER_INVALID_REQUEST', false);
    assert.equal(await chargesAt(sim, 'ord-bad'), 0);
  });

  it('throws a retryable ABORTED when the caller aborts', async () => {
    sim.setKnobs({ latencyMs: 200 });
    await rejectsWith(provider.charge(chargeOf('ord-abort'), { signal: AbortSignal.timeout(20) }), 'PAYMENT_PROVIDER_ABORTED', true);
  });

  it('refunds a charge, and reports alreadyRefunded with the refund id for a second refund under another key', async () => {
    const charged = await provider.charge(chargeOf('ord-refund'));
    assert.ok(charged.outcome === 'succeeded');
    const refund = await provider.refund({ paymentIntentId: charged.paymentIntentId, idempotencyKey: 'refund-1' });
    assert.match(refund.refundId, /^re_/);
    assert.equal(refund.alreadyRefunded, false);
    assert.deepEqual(await provider.refund({ paymentIntentId: charged.paymentIntentId, idempotencyKey: 'refund-1' }), refund);
    const again = await provider.refund({ paymentIntentId: charged.paymentIntentId, idempotencyKey: 'refund-2' });
    assert.deepEqual(again, { refundId: refund.refundId, alreadyRefunded: true });
  });

  it('throws a non-retryable REJECTED when refunding an unknown intent', async () => {
    const err = await rejectsWith(provider.refund({ paymentIntentId: 'pi_missing', idempotencyKey: 'refund-x' }), 'PAYMENT_PROVIDER_REJECTED', false);
    assert.equal(err.providerCode, 'resource_missing');
  });
});

describe('Stripe-compatible provider without a reachable provider', () => {
  it('throws a retryable UNAVAILABLE when nothing listens', async () => {
    const sim = await startPaymentSimulator();
    const url = sim.url;
    await sim.close();
    const provider = createStripeCompatibleProvider({ baseUrl: url, secretKey: SECRET, timeoutMs: 1000 });
    try {
      await rejectsWith(provider.charge(chargeOf('ord-down')), 'PAYMENT_PROVIDER_UNAVAILABLE', true);
    } finally {
      await provider.close();
    }
  });

  it('throws a non-retryable REJECTED on a wrong secret key', async () => {
    const sim = await startPaymentSimulator({ secretKey: SECRET });
    const provider = createStripeCompatibleProvider({ baseUrl: sim.url, secretKey: 'sk_wrong' });
    try {
      const err = await rejectsWith(provider.charge(chargeOf('ord-401')), 'PAYMENT_PROVIDER_REJECTED', false);
      assert.equal(err.providerStatus, 401);
    } finally {
      await provider.close();
      await sim.close();
    }
  });

  it('refuses bad options with a TypeError', () => {
    assert.throws(() => createStripeCompatibleProvider({ baseUrl: 'ftp://x', secretKey: SECRET }), TypeError);
    assert.throws(() => createStripeCompatibleProvider({ baseUrl: 'http://127.0.0.1:1', secretKey: '' }), TypeError);
    assert.throws(() => createStripeCompatibleProvider({ baseUrl: 'http://127.0.0.1:1', secretKey: SECRET, timeoutMs: 0 }), TypeError);
  });
});
