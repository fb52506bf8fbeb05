import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MODE, startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus } from './support/client.ts';
import { chargesFor } from './support/simulator.ts';
import { startSmtpPeer } from '../support/smtp-peer.ts';

// Faults that only a cluster has: one instance of several dies, two instances see one key.
const skip = MODE !== 'cluster' && 'cluster mode only (npm run test:e2e:cluster)';

test('cluster: the same Idempotency-Key sent to both orders instances makes one order', { skip }, async () => {
  const d = tempDataDir();
  let sys: SystemProcess | undefined;
  try {
    sys = await startSystem({ dataDir: d.dir });
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'idem-sku', { priceCents: 100, stock: 1000 });
    await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'idem-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    const orders = sys.instances.filter((i) => i.id.startsWith('orders-'));
    assert.equal(orders.length, 2);
    const body = { items: [{ sku: 'idem-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' };
    for (let round = 0; round < 10; round++) {
      const key = randomUUID();
      // Straight at each instance, at the same moment: the primary key on (customer, key) decides.
      const answers = await Promise.all(orders.map((o) => apiClient(`http://127.0.0.1:${o.port}`).call('POST', '/v1/orders', { key: cust.apiKey, body, headers: { 'Idempotency-Key': key } })));
      const ok = answers.filter((a) => a.status === 202);
      assert.ok(ok.length >= 1, `round ${round}: ${answers.map((a) => a.status).join(',')}`);
      assert.ok(answers.every((a) => a.status === 202 || a.status === 409), `round ${round}: ${answers.map((a) => a.status).join(',')}`);
      assert.equal(new Set(ok.map((a) => a.body.id)).size, 1, 'one order id for one key');
    }
    const list = await api.call('GET', '/v1/orders?limit=100', { key: cust.apiKey });
    assert.equal(list.body.items.length, 11);
    assert.equal(await sys.stop(), 0);
  } finally {
    await sys?.kill();
    await d.cleanup();
  }
});

test('cluster: SIGKILL of one instance of each service under load loses no order, charges none twice, mails none twice', { skip }, async () => {
  const smtp = await startSmtpPeer();
  const d = tempDataDir();
  let sys: SystemProcess | undefined;
  try {
    sys = await startSystem({ dataDir: d.dir, env: { ORDERFLOW_SMTP_URL: smtp.url, ORDERFLOW_SIMULATOR_LATENCY_MS: '50' } });
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'kill-one', { priceCents: 300, stock: 1000 });
    await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'kill-one', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    const accepted: string[] = [];
    let lost = 0;
    const place = async () => {
      try {
        const r = await api.placeOrder(cust.apiKey, { items: [{ sku: 'kill-one', quantity: 1 }], paymentMethod: 'pm_card_visa' });
        if (r.status === 202) accepted.push(r.body.id);
      } catch {
        lost++; // the connection died with the instance: the client does not know (it would retry with the same key)
      }
    };
    // Load: 60 orders in waves; after the first waves, one instance of every service dies by SIGKILL.
    for (let wave = 0; wave < 6; wave++) {
      await Promise.all(Array.from({ length: 10 }, place));
      if (wave === 2) for (const i of sys.instances.filter((x) => x.id.endsWith('-1'))) process.kill(i.pid, 'SIGKILL');
    }
    assert.ok(accepted.length >= 50, `most orders accepted while an instance died (${accepted.length}/60, ${lost} answers lost)`);
    // Every order that exists — each accepted one, and any whose answer was lost — finishes once.
    const listed = (await api.call('GET', '/v1/orders?limit=100', { key: cust.apiKey })).body.items as Array<{ id: string }>;
    const ids = listed.map((o) => o.id);
    for (const id of accepted) assert.ok(ids.includes(id), `accepted order ${id} kept`);
    const final = await Promise.all(ids.map((id) => waitForStatus(api, cust.apiKey, id, ['confirmed', 'cancelled'], 60_000)));
    assert.deepEqual(new Set(final.map((o) => o.status)), new Set(['confirmed']));
    for (const id of ids) assert.equal((await chargesFor(sys.paymentUrl, id)).length, 1, `one charge for ${id}`);
    await smtp.waitForMessages(ids.length, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    for (const id of ids) assert.equal(smtp.messages.filter((m) => m.subject.includes(id)).length, 1, `one email for ${id}`);
    assert.equal((await api.getProduct('kill-one')).body.stock, 1000 - ids.length);
    console.log(`# accepted ${accepted.length}, answers lost ${lost}, orders ${ids.length}, all confirmed once`);
  } finally {
    await sys?.kill();
    await smtp.close();
    await d.cleanup();
  }
});
