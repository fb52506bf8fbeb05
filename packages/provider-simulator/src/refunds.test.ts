import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPaymentSimulator, type PaymentSimulator } from './index.ts';
import { chargeFields, getJson, postForm } from './test-support.ts';

describe('POST /v1/refunds', () => {
  let sim: PaymentSimulator;
  before(async () => {
    sim = await startPaymentSimulator();
  });
  after(() => sim.close());

  async function charge(orderId: string, amount = '1999'): Promise<string> {
    const r = await postForm(sim.url, '/v1/payment_intents', chargeFields(orderId, 'pm_card_visa', amount));
    assert.equal(r.status, 200);
    return r.body.id as string;
  }

  it('refunds the whole intent and replays the refund for the same key', async () => {
    const pi = await charge('ord-refund');
    const r = await postForm(sim.url, '/v1/refunds', { payment_intent: pi }, { 'Idempotency-Key': 'refund-1' });
    assert.equal(r.status, 200);
    assert.match(r.body.id, /^re_/);
    assert.equal(r.body.object, 'refund');
    assert.equal(r.body.status, 'succeeded');
    assert.equal(r.body.payment_intent, pi);
    assert.equal(r.body.amount, 1999);
    const again = await postForm(sim.url, '/v1/refunds', { payment_intent: pi }, { 'Idempotency-Key': 'refund-1' });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, r.body);
    const list = await getJson(sim.url, `/v1/refunds?payment_intent=${pi}`);
    assert.deepEqual(list.body.data, [r.body]);
  });

  it('answers 400 charge_already_refunded to a second refund under another key', async () => {
    const pi = await charge('ord-double-refund');
    assert.equal((await postForm(sim.url, '/v1/refunds', { payment_intent: pi }, { 'Idempotency-Key': 'dr-1' })).status, 200);
    const second = await postForm(sim.url, '/v1/refunds', { payment_intent: pi }, { 'Idempotency-Key': 'dr-2' });
    assert.equal(second.status, 400);
    assert.equal(second.body.error.type, 'invalid_request_error');
    assert.equal(second.body.error.code, 'charge_already_refunded');
    assert.equal((await getJson(sim.url, `/v1/refunds?payment_intent=${pi}`)).body.data.length, 1);
  });

  it('refunds part of an intent and refuses more than is left with amount_too_large', async () => {
    const pi = await charge('ord-partial', '1000');
    const part = await postForm(sim.url, '/v1/refunds', { payment_intent: pi, amount: '400' });
    assert.equal(part.body.amount, 400);
    const tooMuch = await postForm(sim.url, '/v1/refunds', { payment_intent: pi, amount: '700' });
    assert.equal(tooMuch.status, 400);
    assert.equal(tooMuch.body.error.code, 'amount_too_large');
    const rest = await postForm(sim.url, '/v1/refunds', { payment_intent: pi });
    assert.equal(rest.body.amount, 600);
  });

  it('answers 404 resource_missing for an unknown payment intent', async () => {
    const r = await postForm(sim.url, '/v1/refunds', { payment_intent: 'pi_unknown' }, { 'Idempotency-Key': 'missing-1' });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.type, 'invalid_request_error');
    assert.equal(r.body.error.code, 'resource_missing');
  });
});
