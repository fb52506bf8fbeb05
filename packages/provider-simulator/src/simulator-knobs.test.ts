import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPaymentSimulator, type PaymentSimulator } from './index.ts';
import { chargeFields, getJson, postForm } from './test-support.ts';

async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() };
}

describe('simulator knobs', () => {
  let sim: PaymentSimulator;
  before(async () => {
    sim = await startPaymentSimulator({ latencyMs: 5, failureRate: 0.25 });
  });
  after(() => sim.close());

  it('starts from the options and reads back over HTTP', async () => {
    assert.deepEqual(sim.knobs(), { latencyMs: 5, failureRate: 0.25, commitThenTimeoutNext: 0 });
    assert.deepEqual((await getJson(sim.url, '/__simulator/knobs')).body, sim.knobs());
  });

  it('sets knobs over HTTP, keeping the ones not sent', async () => {
    const r = await postJson(`${sim.url}/__simulator/knobs`, { failureRate: 1, commitThenTimeoutNext: 2 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { latencyMs: 5, failureRate: 1, commitThenTimeoutNext: 2 });
    assert.deepEqual(sim.knobs(), r.body);
    const charge = await postForm(sim.url, '/v1/payment_intents', chargeFields('ord-knob'));
    assert.equal(charge.status, 500);
    sim.setKnobs({ failureRate: 0, commitThenTimeoutNext: 0 });
  });

  it('rejects out-of-range knobs with 400 over HTTP and RangeError in process, changing nothing', async () => {
    const before = sim.knobs();
    const r = await postJson(`${sim.url}/__simulator/knobs`, { failureRate: 2 });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /failureRate/);
    assert.throws(() => sim.setKnobs({ latencyMs: -1 }), RangeError);
    assert.throws(() => sim.setKnobs({ commitThenTimeoutNext: 1.5 }), RangeError);
    assert.deepEqual(sim.knobs(), before);
  });

  it('reports counts at /__simulator/stats', async () => {
    const r = await getJson(sim.url, '/__simulator/stats');
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.paymentIntents, 'number');
  });

  it('refuses to start with a failureRate outside 0..1', async () => {
    await assert.rejects(startPaymentSimulator({ failureRate: 1.5 }), RangeError);
  });
});
