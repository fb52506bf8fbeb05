import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startSystem } from '../e2e/support/system.ts';
import { placeWhenOrderable, waitForStatus } from '../e2e/support/client.ts';
import { startSmtpPeer } from '../support/smtp-peer.ts';
import { LONG, apiClient, effects, fmt, orderBody, percentile, resilienceStats, resilientEnv, setKnobs, sleep, steady, timedOrder, waitAll } from './support.ts';

const RATE = 20; // orders per second, and as many reads
const HEALTHY_MS = LONG ? 10_000 : 4_000;
const STALL_MS = LONG ? 40_000 : 8_000;
const STALL_LATENCY = LONG ? 30_000 : 5_000;

test(`the provider answers in ${STALL_LATENCY / 1000} s instead of 100 ms under steady load: intake and reads stay fast, the breaker opens, every order confirms once it recovers`, { timeout: 240_000 }, async () => {
  const smtp = await startSmtpPeer();
  const sys = await startSystem({ env: resilientEnv({ ORDERFLOW_SMTP_URL: smtp.url, ORDERFLOW_SIMULATOR_LATENCY_MS: '100' }) });
  try {
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'stall', { priceCents: 300, stock: 100_000 });
    const first = await placeWhenOrderable(api, cust.apiKey, orderBody('stall'));
    await waitForStatus(api, cust.apiKey, first.body.id, ['confirmed']);

    const ids: string[] = [first.body.id];
    const phase = async (ms: number) => {
      const posts: number[] = [];
      const reads: number[] = [];
      const statuses: number[] = [];
      const readFailures: string[] = [];
      await Promise.all([
        steady(RATE, ms, async () => {
          const { r, ms: took } = await timedOrder(api, cust.apiKey, 'stall', randomUUID());
          statuses.push(r.status);
          posts.push(took);
          if (r.status === 202) ids.push(r.body.id);
        }),
        steady(RATE, ms, async () => {
          const t0 = performance.now();
          const r = await api.getOrder(cust.apiKey, first.body.id);
          if (r.status !== 200) readFailures.push(`${r.status} ${r.body?.code ?? ''} ${r.body?.detail ?? ''}`);
          reads.push(performance.now() - t0);
        }),
      ]);
      return { posts, reads, statuses, readFailures };
    };

    const progress = (m: string) => process.env.FAULTS_VERBOSE && process.stderr.write(`${new Date().toISOString()} ${m}\n`);
    progress('healthy phase');
    const healthy = await phase(HEALTHY_MS);
    progress('stall phase');
    await setKnobs(sys.paymentUrl, { latencyMs: STALL_LATENCY });
    const stalled = await phase(STALL_MS);
    const during = await resilienceStats(api, sys.adminKey);
    const awaiting = (await api.listOrders(cust.apiKey, '?status=awaiting_payment&limit=100')).body.items.length;
    await setKnobs(sys.paymentUrl, { latencyMs: 100 });
    progress('recovering');
    const t0 = Date.now();
    const final = await waitAll(api, cust.apiKey, ids, ['confirmed', 'cancelled'], STALL_LATENCY + 60_000);
    const recoveredMs = Date.now() - t0;
    progress('waiting for mail');
    await smtp.waitForMessages(ids.length, 30_000);
    await sleep(500); // room for a duplicate mail to show up, if there were one
    const fx = await effects(sys.paymentUrl, smtp, ids);
    const pay = during.dependencies.find((d) => d.dependency === 'payment')!;

    const h99 = percentile(healthy.posts, 99);
    const s99 = percentile(stalled.posts, 99);
    console.log(`# provider stall ${STALL_LATENCY} ms for ${STALL_MS} ms at ${RATE} orders/s + ${RATE} reads/s`);
    console.log(`# POST /v1/orders p50/p99 healthy ${fmt(percentile(healthy.posts, 50))}/${fmt(h99)}, stalled ${fmt(percentile(stalled.posts, 50))}/${fmt(s99)} (ratio ${(s99 / h99).toFixed(2)})`);
    console.log(`# POST p90/p95 stalled ${fmt(percentile(stalled.posts, 90))}/${fmt(percentile(stalled.posts, 95))}; over 100 ms: ${stalled.posts.filter((x) => x > 100).length} of ${stalled.posts.length}`);
    console.log(`# GET /v1/orders/{id} p99 healthy ${fmt(percentile(healthy.reads, 99))}, stalled ${fmt(percentile(stalled.reads, 99))}`);
    console.log(`# payment breaker during stall: ${pay.breaker}, opened ${pay.breakerOpened}x, timeouts ${pay.timeouts}, rejected while open ${pay.circuitRejected}; orders awaiting_payment (first page) ${awaiting}`);
    console.log(`# after recovery: ${ids.length} orders final in ${recoveredMs} ms; double charges ${fx.doubleCharged.length}; mails ${smtp.messages.length}`);

    assert.deepEqual([...healthy.statuses, ...stalled.statuses].filter((s) => s !== 202), [], 'every order accepted');
    assert.deepEqual([...healthy.readFailures, ...stalled.readFailures], [], 'every read answered');
    // The long run (npm run test:faults, alone on the machine) holds the 3x bound (15 ms floor: at a few
    // ms a p99 is scheduler noise). The short run shares 2 cores with another test file inside
    // `npm test`, where a ratio of small p99s is noise too; it checks that intake and reads never wait
    // on the provider: their p99 stays under the provider's 1 s call budget.
    const r99 = percentile(healthy.reads, 99);
    if (LONG) {
      assert.ok(s99 <= Math.max(3 * h99, h99 + 15), `stalled p99 ${fmt(s99)} within 3x healthy ${fmt(h99)}`);
      assert.ok(percentile(stalled.reads, 99) <= Math.max(3 * r99, r99 + 15), 'reads stay fast');
    } else {
      assert.ok(s99 < 1_000, `stalled POST p99 ${fmt(s99)} below the provider budget`);
      assert.ok(percentile(stalled.reads, 99) < 1_000, 'reads do not wait on the provider');
    }
    assert.ok(pay.breakerOpened >= 1, 'the breaker opened');
    assert.ok(awaiting > 0, 'orders wait in awaiting_payment during the stall');
    assert.deepEqual([...final.values()].filter((o) => o.status !== 'confirmed'), [], 'every order confirmed');
    assert.deepEqual(fx.doubleCharged, [], 'no order charged twice');
    assert.deepEqual(fx.uncharged, [], 'no order confirmed unpaid');
    assert.deepEqual([...fx.mailCounts].filter(([, n]) => n !== 1), [], 'exactly one email per order');
  } finally {
    await sys.stop();
    await smtp.close();
  }
});
