import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { startSystem, tempDataDir, type SystemProcess } from '../e2e/support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus } from '../e2e/support/client.ts';
import { chargesFor } from '../e2e/support/simulator.ts';
import { freePort } from '../support/free-port.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { pgBinDir } from '../support/pg-replica-pair.ts';
import { sleep } from './support.ts';

const haproxy = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].some((p) => existsSync(p));
const skip = !pgBinDir() ? 'PostgreSQL server binaries missing' : !haproxy ? 'haproxy missing (apt-get install haproxy)' : false;

// A real server restart, not a dropped pool: the cluster runs on a PostgreSQL of this test's own,
// which `pg_ctl restart -m fast` takes down (every connection cut) while orders keep arriving.
test('PostgreSQL restarts under a trickle of orders: every accepted order confirms once, and intake resumes', { skip, timeout: 240_000 }, async () => {
  let pg: PrivatePostgres | undefined;
  let sys: SystemProcess | undefined;
  const d = tempDataDir('cluster');
  try {
    pg = startPrivatePostgres(await freePort());
    sys = await startSystem({ mode: 'cluster', dataDir: d.dir, env: { ORDERFLOW_POSTGRES_URL: pg.url, ORDERFLOW_CLUSTER_INSTANCES: '1' } });
    const api = apiClient(sys.url);
    const cust = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'pg-restart-sku', { priceCents: 250, stock: 100_000 });
    const body = { items: [{ sku: 'pg-restart-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' };
    const first = await placeWhenOrderable(api, cust.apiKey, body, randomUUID(), 30_000);
    assert.equal(first.status, 202);

    // A client that retries with the same Idempotency-Key until it gets its 202, as a real one would.
    const accepted: Array<{ id: string; at: number }> = [{ id: first.body.id, at: Date.now() }];
    const refused = new Map<number, number>();
    let running = true;
    const trickle = (async () => {
      while (running) {
        const key = randomUUID();
        const giveUp = Date.now() + 30_000;
        for (;;) {
          const r = await api.call('POST', '/v1/orders', { key: cust.apiKey, body, headers: { 'Idempotency-Key': key } }).catch(() => ({ status: 0, body: undefined }) as const);
          if (r.status === 202) {
            accepted.push({ id: r.body.id, at: Date.now() });
            break;
          }
          refused.set(r.status, (refused.get(r.status) ?? 0) + 1);
          if (Date.now() > giveUp) throw new Error(`order with key ${key} not accepted in 30 s (last status ${r.status})`);
          await sleep(100);
        }
        await sleep(40);
      }
    })();

    await sleep(1_500);
    const before = accepted.length;
    const t0 = Date.now();
    pg.restart();
    const restartMs = Date.now() - t0;
    const deadline = Date.now() + 20_000;
    while (!accepted.some((a) => a.at > t0 + restartMs) && Date.now() < deadline) await sleep(50);
    const resumedMs = (accepted.find((a) => a.at > t0 + restartMs)?.at ?? NaN) - t0;
    await sleep(3_000);
    running = false;
    await trickle;

    const statuses = [...refused].map(([s, n]) => `${s === 0 ? 'no answer' : s}×${n}`).join(' ') || 'none';
    console.log(`# postgres restart: server down+up ${restartMs} ms; first order accepted ${resumedMs} ms after the restart began; accepted ${accepted.length} (${before} before); refused answers meanwhile: ${statuses}`);
    assert.ok(Number.isFinite(resumedMs), 'an order is accepted again after the restart');
    assert.deepEqual([...refused.keys()].filter((s) => s >= 500 && s !== 503), [], 'while the database is away, a refused order is a 503 to retry, never a 500');
    // Survived means the processes too: none died of a connection the server cut (the launcher logs a restart).
    assert.deepEqual(sys.logs.filter((l) => l.includes('"msg":"instance exited"')), [], 'no instance exited');
    assert.ok(accepted.length > before + 5, `orders keep being accepted after the restart (${before} before, ${accepted.length} in all)`);
    for (const a of accepted) {
      const o = await waitForStatus(api, cust.apiKey, a.id, ['confirmed', 'cancelled'], 60_000);
      assert.equal(o.status, 'confirmed', `order ${a.id}`);
      assert.equal((await chargesFor(sys.paymentUrl, a.id)).length, 1, `one charge for ${a.id}`);
    }
    const list = await api.call('GET', '/v1/orders?limit=100', { key: cust.apiKey });
    assert.equal(list.status, 200);
    assert.equal(await sys.stop(), 0);
  } finally {
    await sys?.kill();
    pg?.remove();
    await d.cleanup();
  }
});
