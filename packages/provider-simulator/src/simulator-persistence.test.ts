import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPaymentSimulator } from './index.ts';
import { chargeFields, countCharges, getJson, postForm } from './test-support.ts';

describe('simulator with a dataFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'payment-sim-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keeps charges, refunds and idempotency records across close and restart', async () => {
    const dataFile = join(dir, 'nested', 'provider.sqlite');
    const fields = chargeFields('ord-persist');
    const first = await startPaymentSimulator({ dataFile });
    const charged = await postForm(first.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'persist-1' });
    const refunded = await postForm(first.url, '/v1/refunds', { payment_intent: charged.body.id }, { 'Idempotency-Key': 'persist-r1' });
    assert.equal(refunded.status, 200);
    await first.close();

    const second = await startPaymentSimulator({ dataFile });
    try {
      const replay = await postForm(second.url, '/v1/payment_intents', fields, { 'Idempotency-Key': 'persist-1' });
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, charged.body);
      assert.equal(await countCharges(second.url, 'ord-persist'), 1);
      const refunds = await getJson(second.url, `/v1/refunds?payment_intent=${charged.body.id}`);
      assert.deepEqual(refunds.body.data, [refunded.body]);
      const again = await postForm(second.url, '/v1/refunds', { payment_intent: charged.body.id }, { 'Idempotency-Key': 'persist-r2' });
      assert.equal(again.body.error.code, 'charge_already_refunded');
    } finally {
      await second.close();
    }
  });

  it('keeps nothing between runs without a dataFile', async () => {
    const first = await startPaymentSimulator();
    await postForm(first.url, '/v1/payment_intents', chargeFields('ord-memory'));
    await first.close();
    const second = await startPaymentSimulator();
    try {
      assert.equal(await countCharges(second.url, 'ord-memory'), 0);
    } finally {
      await second.close();
    }
  });
});
