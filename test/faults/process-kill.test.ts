import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startSystem, tempDataDir } from '../e2e/support/system.ts';
import { placeWhenOrderable } from '../e2e/support/client.ts';
import { startSmtpPeer } from '../support/smtp-peer.ts';
import { apiClient, effects, orderBody, resilientEnv, sleep, waitAll } from './support.ts';

const N = 10;

for (const point of ['relay.after-commit-before-publish', 'broker.after-handle-before-ack', 'mail.before-claim', 'mail.after-reply-before-record'] as const) {
  test(`SIGKILL at ${point}: after a restart nothing is lost and nothing applied twice`, { timeout: 90_000 }, async () => {
    const smtp = await startSmtpPeer();
    const d = tempDataDir();
    try {
      const env = resilientEnv({ ORDERFLOW_SMTP_URL: smtp.url });
      let sys = await startSystem({ dataDir: d.dir, env });
      let api = apiClient(sys.url);
      const cust = await api.createCustomer(sys.adminKey);
      await api.putProduct(sys.adminKey, 'kill-at', { priceCents: 500, stock: 100 });
      const first = await placeWhenOrderable(api, cust.apiKey, orderBody('kill-at'));
      await sys.stop();

      // Die on the 5th pass through the point: well inside the flow of the next orders.
      sys = await startSystem({ dataDir: d.dir, env: { ...env, ORDERFLOW_FAULT_KILL_AT: `${point}:5` } });
      api = apiClient(sys.url);
      const exit = once(sys.child, 'exit');
      const ids = [first.body.id as string];
      for (let i = 0; i < N - 1 && sys.child.exitCode === null && sys.child.signalCode === null; i++) {
        const r = await api.placeOrder(cust.apiKey, orderBody('kill-at')).catch(() => undefined);
        if (r?.status === 202) ids.push(r.body.id);
        await sleep(10);
      }
      const [, signal] = (await Promise.race([exit, sleep(20_000).then(() => [null, 'none'])])) as [number | null, string | null];
      assert.equal(signal, 'SIGKILL', 'the process died at the fault point');

      sys = await startSystem({ dataDir: d.dir, env });
      api = apiClient(sys.url);
      await waitAll(api, cust.apiKey, ids, ['confirmed', 'cancelled'], 30_000);
      // The kill can land in the pipeline thread after an order committed on the edge and before its
      // 202 went out: such an order was never acknowledged, yet it must be kept and finished too.
      const listed = await api.listOrders(cust.apiKey, '?limit=100');
      assert.equal(listed.status, 200);
      const unanswered = (listed.body.items as Array<{ id: string }>).map((o) => o.id).filter((id) => !ids.includes(id));
      ids.push(...unanswered);
      const final = await waitAll(api, cust.apiKey, ids, ['confirmed', 'cancelled'], 30_000);
      await smtp.waitForMessages(ids.length, 15_000);
      await sleep(500);
      const fx = await effects(sys.paymentUrl, smtp, ids);
      const stock = (await api.getProduct('kill-at')).body.stock;
      console.log(`# kill at ${point}: ${ids.length} kept (${unanswered.length} committed without an answer), ${[...final.values()].filter((o) => o.status === 'confirmed').length} confirmed, stock ${stock}, double charges ${fx.doubleCharged.length}, mails ${smtp.messages.length}`);
      assert.deepEqual([...final.values()].map((o) => o.status), ids.map(() => 'confirmed'));
      assert.equal(stock, 100 - ids.length, 'stock taken once per order');
      assert.deepEqual(fx.doubleCharged, []);
      assert.deepEqual(fx.uncharged, []);
      assert.deepEqual([...fx.mailCounts].filter(([, n]) => n !== 1), [], 'one mail per order');
      await sys.stop();
    } finally {
      await smtp.close();
      d.cleanup();
    }
  });
}
