import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startSystem, tempDataDir, type SystemProcess } from '../e2e/support/system.ts';
import { placeWhenOrderable } from '../e2e/support/client.ts';
import { startSmtpPeer } from '../support/smtp-peer.ts';
import { LONG, apiClient, effects, orderBody, resilientEnv, sleep, waitAll } from './support.ts';

const DURATION_MS = LONG ? 180_000 : 20_000;
const RATE = 10;

/**
 * In the manner of Jepsen's queue checks: steady load while a nemesis kills (SIGKILL + restart) or
 * pauses (SIGSTOP/SIGCONT) the process at random; then heal, retry every request whose outcome the
 * client never learned with its same Idempotency-Key, drain, and check every accepted order.
 */
test(`nemesis run (${DURATION_MS / 1000} s of load, random kills and pauses): lost = 0, duplicated effects = 0, every accepted order final`, { timeout: DURATION_MS + 180_000 }, async () => {
  const smtp = await startSmtpPeer();
  const d = tempDataDir();
  const env = resilientEnv({ ORDERFLOW_SMTP_URL: smtp.url, ORDERFLOW_SIMULATOR_LATENCY_MS: '20' });
  let sys: SystemProcess = await startSystem({ dataDir: d.dir, env });
  let api = apiClient(sys.url);
  const cust = await api.createCustomer(sys.adminKey);
  await api.putProduct(sys.adminKey, 'nemesis', { priceCents: 250, stock: 1_000_000 });
  await placeWhenOrderable(api, cust.apiKey, orderBody('nemesis'));

  const accepted = new Set<string>();
  const unknown = new Set<string>(); // idempotency keys whose answer never came
  const faults: string[] = [];
  let stop = false;
  let restarting: Promise<void> | undefined;

  const client = (async () => {
    const pending: Array<Promise<void>> = [];
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < DURATION_MS; i++) {
      const wait = t0 + (i * 1000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      const key = randomUUID();
      const target = api;
      pending.push(
        target
          .call('POST', '/v1/orders', { key: cust.apiKey, body: orderBody('nemesis'), headers: { 'idempotency-key': key } })
          .then((r) => {
            if (r.status === 202) accepted.add(r.body.id);
            else unknown.add(key);
          })
          .catch(() => void unknown.add(key)),
      );
    }
    await Promise.all(pending);
  })();

  const nemesis = (async () => {
    while (!stop) {
      await sleep(2_000 + Math.random() * 3_000);
      if (stop) break;
      if (Math.random() < 0.5) {
        faults.push('kill');
        await sys.kill();
        restarting = startSystem({ dataDir: d.dir, env }).then((s) => {
          sys = s;
          api = apiClient(s.url);
        });
        await restarting;
      } else {
        faults.push('pause');
        sys.child.kill('SIGSTOP');
        await sleep(500 + Math.random() * 1_500);
        sys.child.kill('SIGCONT');
      }
    }
  })();

  try {
    await client;
    stop = true;
    await nemesis;
    await restarting;
    // Heal: learn the outcome of every unanswered request by sending it again with its key.
    for (const key of unknown) {
      const r = await api.placeOrder(cust.apiKey, orderBody('nemesis'), key);
      if (r.status === 202) accepted.add(r.body.id);
    }
    const ids = [...accepted];
    const final = await waitAll(api, cust.apiKey, ids, ['confirmed', 'cancelled'], 120_000);
    await smtp.waitForMessages(ids.length + 1, 30_000);
    await sleep(1_000);
    const fx = await effects(sys.paymentUrl, smtp, ids);
    const listed = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = (await api.listOrders(cust.apiKey, `?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).body;
      for (const o of page.items) listed.add(o.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const lost = ids.filter((id) => !listed.has(id));
    // A mail's effect is its Message-ID (derived from order + outcome): SMTP is at-least-once, so a kill
    // between the server's accept and our record resends the same message, which mail clients fold.
    const distinctMails = new Map(ids.map((id) => [id, new Set(smtp.messages.filter((m) => m.subject.includes(id)).map((m) => m.messageId)).size]));
    const resends = [...fx.mailCounts.values()].filter((n) => n > 1).length;
    const duplicated = fx.doubleCharged.length + [...distinctMails.values()].filter((n) => n > 1).length;
    const confirmed = [...final.values()].filter((o) => o.status === 'confirmed').length;
    const stock = (await api.getProduct('nemesis')).body.stock;
    console.log(`# nemesis ${DURATION_MS / 1000} s at ${RATE}/s, faults: ${faults.join(',') || 'none'}`);
    console.log(`# accepted ${ids.length} (${unknown.size} requests went unanswered and were retried with their key), final ${final.size}, confirmed ${confirmed}, lost ${lost.length}, duplicated effects ${duplicated} (same-Message-ID SMTP resends after a kill: ${resends}), stock taken ${1_000_000 - stock - 1}`);
    assert.ok(faults.length >= 2, 'the nemesis struck');
    assert.equal(lost.length, 0, 'lost = 0');
    assert.equal(duplicated, 0, 'duplicated effects = 0');
    assert.equal(final.size, ids.length, 'every accepted order final');
    assert.equal(confirmed, ids.length, 'and confirmed (the provider was healthy)');
    assert.deepEqual(fx.uncharged, []);
    assert.deepEqual([...distinctMails].filter(([, n]) => n !== 1), [], 'one mail (Message-ID) per order');
    assert.equal(1_000_000 - stock - 1, ids.length, 'stock taken once per order');
    await sys.stop();
  } finally {
    stop = true;
    await sys.kill().catch(() => undefined);
    await smtp.close();
    d.cleanup();
  }
});
