import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { apiClient, type ApiClient } from './support/client.ts';

describe('rate limits per API key and per address', () => {
  let sys: SystemProcess;
  let api: ApiClient;
  let cleanup: () => void;

  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir, env: { ORDERFLOW_RATE_LIMIT_PER_KEY: '5', ORDERFLOW_RATE_LIMIT_BURST: '10' } });
    api = apiClient(sys.url);
  });

  after(async () => {
    await sys.stop();
    await cleanup();
  });

  test('a noisy key gets 429 with Retry-After while a quiet key is served every time', async () => {
    const noisy = await api.createCustomer(sys.adminKey);
    const quiet = await api.createCustomer(sys.adminKey);
    const [loud, calm] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, () => api.listOrders(noisy.apiKey))),
      (async () => {
        const out = [];
        for (let i = 0; i < 5; i++) out.push(await api.listOrders(quiet.apiKey));
        return out;
      })(),
    ]);
    const limited = loud.filter((r) => r.status === 429);
    assert.ok(limited.length >= 25, `most of 40 over a burst of 10 are refused (${limited.length})`);
    assert.ok(loud.filter((r) => r.status === 200).length >= 10, 'the burst is served');
    for (const r of limited) {
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(r.body.code, 'RATE_LIMITED');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
    }
    assert.deepEqual(calm.map((r) => r.status), [200, 200, 200, 200, 200]);

    // After Retry-After the key is served again.
    await new Promise((r) => setTimeout(r, Number(limited[0]!.headers.get('retry-after')) * 1000));
    assert.equal((await api.listOrders(noisy.apiKey)).status, 200);
  });

  test('calls without a key are limited per address; made-up keys drain the same address', async () => {
    const anon = await Promise.all(Array.from({ length: 30 }, () => api.call('GET', '/v1/products/none')));
    assert.ok(anon.some((r) => r.status === 429), 'anonymous calls are limited');
    assert.ok(anon.filter((r) => r.status === 404).length >= 10);
    // Two waves: a failure drains the address's bucket when its 401 is answered, so only calls that
    // arrive after the first wave's answers can see it empty (one wave of 30 at once may all pass the check).
    const guess = (i: number) => api.listOrders(`ofk_${i.toString(16).padStart(16, '0')}_${'g'.repeat(43)}`);
    const first = await Promise.all(Array.from({ length: 15 }, (_, i) => guess(i)));
    const guesses = [...first, ...(await Promise.all(Array.from({ length: 15 }, (_, i) => guess(15 + i))))];
    assert.ok(guesses.some((r) => r.status === 429), 'guessing keys is limited');
    assert.ok(guesses.every((r) => r.status === 401 || r.status === 429));
    const health = await api.call('GET', '/healthz');
    assert.equal(health.status, 200, 'health checks are never limited');
  });
});
