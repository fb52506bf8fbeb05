import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSmtpPeer } from '../support/smtp-peer.ts';
import { uuidv7 } from '@orderflow/platform';
import { startSystem, tempDataDir } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus } from './support/client.ts';
import { chargesFor } from './support/simulator.ts';

test('SIGKILL right after 20 orders were accepted: a restart finishes all 20, one charge and one email each', async () => {
  const smtp = await startSmtpPeer();
  const d = tempDataDir();
  let sys: Awaited<ReturnType<typeof startSystem>> | undefined;
  try {
    // A slow provider (1 s a charge) keeps every order short of its outcome when the process
    // dies: the kill lands between acceptance and payment, the case this test is about. A kill
    // inside an SMTP exchange is the one window no sender can close (the peer has the mail, our
    // commit has not happened): the resend then carries the same Message-ID (DESIGN.md, mail).
    const env = { ORDERFLOW_SMTP_URL: smtp.url, ORDERFLOW_SIMULATOR_LATENCY_MS: '1000' };
    sys = await startSystem({ dataDir: d.dir, env });
    let api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'kill-sku', { priceCents: 700, stock: 100 });
    const first = await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'kill-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    assert.equal(first.status, 202);
    const rest = await Promise.all(Array.from({ length: 19 }, () => api.placeOrder(cust.apiKey, { items: [{ sku: 'kill-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' })));
    const ids = [first.body.id, ...rest.map((r) => r.body.id)];
    assert.ok(rest.every((r) => r.status === 202));
    await sys.kill();
    const unfinishedAtKill = smtp.messages.length;
    assert.equal(unfinishedAtKill, 0, 'no order may have reached its email before the kill (the premise of this test)');

    sys = await startSystem({ dataDir: d.dir, env });
    api = apiClient(sys.url);
    const final = await Promise.all(ids.map((id) => waitForStatus(api, cust.apiKey, id, ['confirmed', 'cancelled'], 30_000)));
    assert.deepEqual(final.map((o) => o.status), ids.map(() => 'confirmed'));
    assert.equal((await api.getProduct('kill-sku')).body.stock, 80);
    for (const id of ids) assert.equal((await chargesFor(sys.paymentUrl, id)).length, 1, `one charge for ${id}`);
    await smtp.waitForMessages(20, 15_000);
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up, if there were one
    for (const id of ids) {
      const mails = smtp.messages.filter((m) => m.subject.includes(id));
      assert.equal(new Set(mails.map((m) => m.messageId)).size, 1, `one distinct email for ${id}`);
      assert.equal(mails.length, 1, `exactly one delivery for ${id}`);
    }
    console.log(`# emails before kill: ${unfinishedAtKill}, after restart: ${smtp.messages.length}`);
    assert.equal(await sys.stop(), 0);
  } finally {
    await sys?.kill();
    await smtp.close();
    await d.cleanup();
  }
});

test('a poison event lands in dead letters instead of blocking, and can be listed and replayed', async () => {
  const d = tempDataDir();
  let sys: Awaited<ReturnType<typeof startSystem>> | undefined;
  try {
    sys = await startSystem({ dataDir: d.dir });
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'poison-sku', { priceCents: 100, stock: 10 });
    // Another process publishes a malformed OrderPlaced onto the same durable broker (the broker file, or NATS in cluster mode).
    const outside = await sys.outsideBroker();
    const poisonId = uuidv7();
    await outside.publish([
      { id: poisonId, type: 'OrderPlaced', version: 1, source: 'orders', subject: 'orders.OrderPlaced', key: 'poison', occurredAt: new Date().toISOString(), data: { orderId: 'poison', items: 'not-a-list' }, headers: {} },
    ]);
    await outside.close(0);
    // The flow keeps moving past it.
    const placed = await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'poison-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    await waitForStatus(api, cust.apiKey, placed.body.id, ['confirmed']);
    let dead: any[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      dead = (await api.call('GET', '/v1/admin/dead-letters', { key: sys.adminKey })).body.items;
      if (dead.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(dead.length, 1);
    assert.equal(dead[0].messageId, poisonId);
    assert.equal(dead[0].consumer, 'inventory');
    assert.match(dead[0].lastError, /INVENTORY_BAD_EVENT|OrderPlaced/);
    assert.equal((await api.call('GET', '/v1/admin/dead-letters', { key: cust.apiKey })).status, 403);
    const replay = await api.call('POST', `/v1/admin/dead-letters/${encodeURIComponent(dead[0].id)}/replay`, { key: sys.adminKey });
    assert.equal(replay.status, 202);
    assert.equal((await api.call('POST', `/v1/admin/dead-letters/nobody:${uuidv7()}/replay`, { key: sys.adminKey })).status, 404);
    await sys.stop();
  } finally {
    await sys?.kill();
    await d.cleanup();
  }
});
