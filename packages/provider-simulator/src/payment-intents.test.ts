import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startPaymentSimulator, type PaymentSimulator } from './index.ts';
import { chargeFields, countCharges, getJson, postForm } from './test-support.ts';

describe('POST /v1/payment_intents', () => {
  let sim: PaymentSimulator;
  before(async () => {
    sim = await startPaymentSimulator();
  });
  after(() => sim.close());
  beforeEach(() => sim.setKnobs({ latencyMs: 0, failureRate: 0, commitThenTimeoutNext: 0 }));

  it('succeeds for pm_card_visa with a Stripe payment intent', async () => {
    const r = await postForm(sim.url, '/v1/payment_intents', { ...chargeFields('ord-ok'), currency: 'EUR' }, { 'Idempotency-Key': 'ok-1' });
    assert.equal(r.status, 200);
    assert.match(r.body.id, /^pi_[0-9A-Za-z]{24}$/);
    assert.equal(r.body.object, 'payment_intent');
    assert.equal(r.body.status, 'succeeded');
    assert.equal(r.body.amount, 1999);
    assert.equal(r.body.currency, 'eur');
    assert.equal(r.body.payment_method, 'pm_card_visa');
    assert.deepEqual(r.body.metadata, { order_id: 'ord-ok' });
    const got = await getJson(sim.url, `/v1/payment_intents/${r.body.id}`);
    assert.deepEqual(got.body, r.body);
  });

  it('declines pm_card_chargeDeclined with 402 card_declined and creates no charge', async () => {
    const r = await postForm(sim.url, '/v1/payment_intents', chargeFields('ord-decl', 'pm_card_chargeDeclined'), { 'Idempotency-Key': 'decl-1' });
    assert.equal(r.status, 402);
    assert.equal(r.body.error.type, 'card_error');
    assert.equal(r.body.error.code, 'card_declined');
    assert.equal(r.body.error.message, 'Your card was declined.');
    assert.equal(await countCharges(sim.url, 'ord-decl'), 0);
  });

  it('replays a stored decline under the same key', async () => {
    const fields = chargeFields('ord-decl-2', 'pm_card_chargeDeclined');
    const first = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'decl-2' });
    const again = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'decl-2' });
    assert.equal(again.status, 402);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
  });

  it('replays the first answer for the same key and params, making one charge', async () => {
    const fields = chargeFields('ord-replay');
    const first = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'replay-1' });
    const second = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'replay-1' });
    assert.equal(first.headers.get('idempotent-replayed'), null);
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(second.body, first.body);
    assert.equal(await countCharges(sim.url, 'ord-replay'), 1);
  });

  it('answers 400 idempotency_error when a key is reused with other params', async () => {
    await postForm(sim.url, '/v1/payment_intents', chargeFields('ord-reuse'), { 'Idempotency-Key': 'reuse-1' });
    const r = await postForm(sim.url, '/v1/payment_intents', chargeFields('ord-reuse', 'pm_card_visa', '500'), { 'Idempotency-Key': 'reuse-1' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.type, 'idempotency_error');
    assert.equal(await countCharges(sim.url, 'ord-reuse'), 1);
  });

  it('answers 409 idempotency_key_in_use while the first request with the key is in flight', async () => {
    sim.setKnobs({ latencyMs: 300 });
    const fields = chargeFields('ord-inflight');
    const first = postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'inflight-1' });
    await new Promise((r) => setTimeout(r, 50));
    const second = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'inflight-1' });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.type, 'idempotency_error');
    assert.equal(second.body.error.code, 'idempotency_key_in_use');
    assert.equal((await first).status, 200);
    assert.equal(await countCharges(sim.url, 'ord-inflight'), 1);
  });

  it('answers 500 api_error without charging at failureRate 1, and a retry with the key can succeed', async () => {
    sim.setKnobs({ failureRate: 1 });
    const fields = chargeFields('ord-fail');
    const r = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'fail-1' });
    assert.equal(r.status, 500);
    assert.equal(r.body.error.type, 'api_error');
    assert.equal(await countCharges(sim.url, 'ord-fail'), 0);
    sim.setKnobs({ failureRate: 0 });
    const retry = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'fail-1' });
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('idempotent-replayed'), null);
    assert.equal(await countCharges(sim.url, 'ord-fail'), 1);
  });

  it('commits the charge and never answers under commitThenTimeoutNext; a retry replays it', async () => {
    sim.setKnobs({ commitThenTimeoutNext: 1 });
    const fields = chargeFields('ord-hang');
    await assert.rejects(
      fetch(`${sim.url}/v1/payment_intents`, {
        method: 'POST',
        body: new URLSearchParams(fields),
        headers: { 'Idempotency-Key': 'hang-1' },
        signal: AbortSignal.timeout(200),
      }),
      { name: 'TimeoutError' },
    );
    assert.equal(sim.knobs().commitThenTimeoutNext, 0);
    assert.equal(await countCharges(sim.url, 'ord-hang'), 1);
    const retry = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'hang-1' });
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(await countCharges(sim.url, 'ord-hang'), 1);
  });

  it('rejects missing or invalid params with 400 invalid_request_error naming the param, storing nothing', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...chargeFields('ord-bad'), amount: '0' }, 'amount'],
      [{ ...chargeFields('ord-bad'), amount: '12.5' }, 'amount'],
      [{ ...chargeFields('ord-bad'), currency: 'us' }, 'currency'],
      [{ ...chargeFields('ord-bad'), payment_method: 'tok_visa' }, 'payment_method'],
      [{ ...chargeFields('ord-bad'), confirm: 'false' }, 'confirm'],
      [{ ...chargeFields('ord-bad'), surprise: '1' }, 'surprise'],
    ];
    for (const [fields, param] of cases) {
      const r = await postForm(sim.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'bad-1' });
      assert.equal(r.status, 400, param);
      assert.equal(r.body.error.type, 'invalid_request_error');
      assert.equal(r.body.error.param, param);
    }
    const { amount: _omitted, ...noAmount } = chargeFields('ord-bad');
    const missing = await postForm(sim.url, '/v1/payment_intents', noAmount);
    assert.equal(missing.body.error.message, 'Missing required param: amount.');
    assert.equal(await countCharges(sim.url, 'ord-bad'), 0);
    const ok = await postForm(sim.url, '/v1/payment_intents', chargeFields('ord-bad'), { 'Idempotency-Key': 'bad-1' });
    assert.equal(ok.status, 200);
  });

  it('answers 404 resource_missing for an unknown payment intent id', async () => {
    const r = await getJson(sim.url, '/v1/payment_intents/pi_nope');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'resource_missing');
  });
});

describe('simulator with a secretKey', () => {
  it('answers 401 without the right bearer key and serves with it', async () => {
    const sim = await startPaymentSimulator({ secretKey: 'sk_test_sim' });
    try {
      const none = await postForm(sim.url, '/v1/payment_intents', chargeFields('ord-auth'));
      assert.equal(none.status, 401);
      assert.equal(none.body.error.type, 'invalid_request_error');
      const wrong = await postForm(sim.url, '/v1/payment_intents', chargeFields('ord-auth'), { Authorization: 'Bearer sk_other' });
      assert.equal(wrong.status, 401);
      const ok = await postForm(sim.url, '/v1/payment_intents', chargeFields('ord-auth'), { Authorization: 'Bearer sk_test_sim' });
      assert.equal(ok.status, 200);
    } finally {
      await sim.close();
    }
  });
});
