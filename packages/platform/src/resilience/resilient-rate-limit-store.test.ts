import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../http/server.ts';
import { createLogger } from '../logger.ts';
import { loadConfig } from '../config.ts';
import { openRedis } from '../runtime/adapters.ts';
import { createRedisRateLimitStore } from '../rate-limit/redis-store.ts';
import { createResilienceKit, type ResilienceKit } from './resilience-kit.ts';
import { failOpenRateLimitStore } from './resilient-rate-limit-store.ts';
import { startFaultProxy, type FaultProxy } from '../../../../test/support/fault-proxy.ts';
import { REDIS_URL, runId, until } from '../../../../test/support/distributed.ts';

// Real Redis behind the fault proxy; the edge's rate limit is the caller, as in distributed mode.
const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const key = `ofk_${'r'.repeat(16)}_${'R'.repeat(43)}`;
const BUDGET_MS = 300;
const HALF_OPEN_MS = 500;
const prefix = `orderflow-test:${runId()}:`;

let proxy: FaultProxy;
let redis: Redis;
let kit: ResilienceKit;
let app: FastifyInstance;
const failedOpen: unknown[] = [];

before(async () => {
  const target = new URL(REDIS_URL);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const config = loadConfig({ ORDERFLOW_REDIS_URL: `redis://127.0.0.1:${proxy.port}`, ORDERFLOW_REDIS_TIMEOUT_MS: String(BUDGET_MS), ORDERFLOW_REDIS_BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS) });
  redis = openRedis(config, quiet);
  await until(() => redis.status === 'ready', 5_000);
  kit = createResilienceKit(config.resilience);
  const store = failOpenRateLimitStore(createRedisRateLimitStore({ redis, prefix }), kit.policy('redis'), (e) => failedOpen.push(e));
  app = await createHttpServer({ logger: quiet, isReady: () => true, rateLimit: { store, perKey: { perSecond: 0.5, burst: 2 } } });
  app.get('/thing', async () => ({ ok: true }));
});

after(async () => {
  await app.close();
  proxy.heal();
  const keys = await redis.keys(`${prefix}*`).catch(() => []);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await proxy.close();
});

async function get(): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const r = await app.inject({ method: 'GET', url: '/thing', headers: { authorization: `Bearer ${key}` } });
  return { status: r.statusCode, ms: performance.now() - t0 };
}
const breaker = () => kit.stats().find((s) => s.dependency === 'redis')!;

test('healthy Redis: the shared limit holds (429 past the burst)', async () => {
  assert.deepEqual([(await get()).status, (await get()).status, (await get()).status], [200, 200, 429]);
});

test('a Redis that stops answering costs only the limit: 200 within the budget, then the breaker answers at once', async () => {
  proxy.set({ blackhole: true });
  const slow = [];
  for (let i = 0; i < 5; i++) slow.push(await get());
  assert.deepEqual(slow.map((r) => r.status), [200, 200, 200, 200, 200], 'failed open, never a 5xx');
  for (const r of slow) assert.ok(r.ms < BUDGET_MS + 400, `answered within the budget: ${r.ms.toFixed(0)} ms`);
  assert.equal(breaker().breaker, 'open');
  assert.ok(breaker().timeouts >= 5);
  const fast = await get();
  assert.equal(fast.status, 200);
  assert.ok(fast.ms < 100, `the open breaker answers without waiting: ${fast.ms.toFixed(0)} ms`);
  assert.ok(breaker().circuitRejected >= 1);
  console.log(`# redis blackholed: fail-open answers p50 ${slow.map((r) => r.ms).sort((a, b) => a - b)[2]!.toFixed(0)} ms, with the breaker open ${fast.ms.toFixed(1)} ms`);
});

test('after Redis answers again the breaker closes and the limit is back', async () => {
  proxy.heal();
  proxy.resetAll(); // the blackholed connection is dead; ioredis reconnects
  await until(() => redis.status === 'ready', 10_000);
  await new Promise((r) => setTimeout(r, HALF_OPEN_MS + 50));
  await until(async () => (await get()).status === 429, 10_000);
  assert.equal(breaker().breaker, 'closed');
});

test('a Redis that is down (connections refused) also fails open at once, never a 500', async () => {
  proxy.set({ refuse: true });
  proxy.resetAll();
  await until(() => redis.status !== 'ready', 5_000);
  const rs = [];
  for (let i = 0; i < 8; i++) rs.push(await get());
  assert.deepEqual(rs.map((r) => r.status), Array(8).fill(200));
  for (const r of rs) assert.ok(r.ms < 100, `no wait on a connection that is down: ${r.ms.toFixed(0)} ms`);
  assert.ok(failedOpen.length >= 13, `every lost check is reported (${failedOpen.length})`);
  proxy.heal();
});
