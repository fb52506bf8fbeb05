import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem } from '../e2e/support/system.ts';
import { placeWhenOrderable, waitForStatus } from '../e2e/support/client.ts';
import { startSmtpPeer } from '../support/smtp-peer.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { LONG, apiClient, orderBody, resilienceStats, resilientEnv, sleep } from './support.ts';

const DOWN_MS = LONG ? 20_000 : 4_000;

test('SMTP refuses mail, then is blackholed, for a while: orders still confirm, and every mail goes out once after it returns', { timeout: 120_000 }, async () => {
  const smtp = await startSmtpPeer();
  const port = Number(new URL(smtp.url).port);
  const proxy = await startFaultProxy({ host: '127.0.0.1', port });
  const sys = await startSystem({ env: resilientEnv({ ORDERFLOW_SMTP_URL: `smtp://127.0.0.1:${proxy.port}`, ORDERFLOW_SMTP_TIMEOUT_MS: '500' }) });
  try {
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'mail-sku', { priceCents: 100, stock: 100 });
    const ids: string[] = [];
    smtp.setDown(true); // the server answers, with 4xx
    ids.push((await placeWhenOrderable(api, cust.apiKey, orderBody('mail-sku'))).body.id);
    for (let i = 0; i < 4; i++) ids.push((await api.placeOrder(cust.apiKey, orderBody('mail-sku'))).body.id);
    for (const id of ids) await waitForStatus(api, cust.apiKey, id, ['confirmed']);
    await sleep(DOWN_MS / 2);
    proxy.set({ blackhole: true }); // now it does not answer at all: the time budget bounds each try
    smtp.setDown(false);
    for (let i = 0; i < 5; i++) ids.push((await api.placeOrder(cust.apiKey, orderBody('mail-sku'))).body.id);
    for (const id of ids) await waitForStatus(api, cust.apiKey, id, ['confirmed']);
    await sleep(DOWN_MS / 2);
    const whileDown = smtp.messages.length;
    const stats = (await resilienceStats(api, sys.adminKey)).dependencies.find((d) => d.dependency === 'smtp')!;
    proxy.heal();
    proxy.resetAll();
    const t0 = Date.now();
    await smtp.waitForMessages(ids.length, 30_000);
    const after = Date.now() - t0;
    await sleep(1_000);
    console.log(`# smtp down ${DOWN_MS} ms: mails while down ${whileDown}; smtp breaker opened ${stats.breakerOpened}x, timeouts ${stats.timeouts}; all ${ids.length} sent ${after} ms after recovery`);
    assert.equal(whileDown, 0);
    assert.ok(stats.timeouts >= 1, 'a blackholed send is cut off by its budget');
    for (const id of ids) assert.equal(smtp.messages.filter((m) => m.subject.includes(id)).length, 1, `one mail for ${id}`);
    assert.equal(smtp.messages.length, ids.length);
  } finally {
    await sys.stop();
    await proxy.close();
    await smtp.close();
  }
});
