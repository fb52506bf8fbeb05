import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createHttpServer } from './server.ts';
import { requireAdmin } from './auth.ts';
import { createLogger } from '../logger.ts';
import { createMemoryRateLimitStore } from '../rate-limit/memory-store.ts';

const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const keyA = `ofk_${'a'.repeat(16)}_${'A'.repeat(43)}`;
const keyB = `ofk_${'b'.repeat(16)}_${'B'.repeat(43)}`;

async function server() {
  const app = await createHttpServer({
    logger: quiet,
    isReady: () => true,
    rateLimit: { store: createMemoryRateLimitStore(), perKey: { perSecond: 1, burst: 3 } },
  });
  app.get('/thing', async () => ({ ok: true }));
  app.get('/p/:id', async () => ({}));
  app.get('/admin-thing', { preHandler: requireAdmin('the-admin-key') }, async () => ({ ok: true }));
  return app;
}

test('a key past its burst gets 429 problem+json with Retry-After; another key is untouched', async () => {
  const app = await server();
  const get = (key: string) => app.inject({ method: 'GET', url: '/thing', headers: { authorization: `Bearer ${key}` } });
  for (let i = 0; i < 3; i++) assert.equal((await get(keyA)).statusCode, 200);
  const r = await get(keyA);
  assert.equal(r.statusCode, 429);
  assert.equal(r.headers['retry-after'], '1');
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
  assert.equal(r.json().code, 'RATE_LIMITED');
  assert.equal((await get(keyB)).statusCode, 200);
  await app.close();
});

test('calls without a key share their address bucket; health checks are exempt', async () => {
  const app = await server();
  for (let i = 0; i < 3; i++) assert.equal((await app.inject({ method: 'GET', url: '/thing' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/thing' })).statusCode, 429);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/thing', headers: { authorization: `Bearer ${keyA}` } })).statusCode, 200);
  await app.close();
});

test('made-up keys cannot open fresh buckets: each 401 drains the address', async () => {
  const app = await server();
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await app.inject({ method: 'GET', url: '/admin-thing', headers: { authorization: `Bearer made-up-${i}` } });
    statuses.push(r.statusCode);
  }
  assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  await app.close();
});

test('a long URL is a 414 problem, a long path segment too', async () => {
  const app = await server();
  const long = await app.inject({ method: 'GET', url: `/thing?q=${'x'.repeat(3000)}`, headers: { authorization: `Bearer ${keyA}` } });
  assert.equal(long.statusCode, 414);
  assert.equal(long.json().code, 'URI_TOO_LONG');
  const seg = await app.inject({ method: 'GET', url: `/p/${'x'.repeat(300)}`, headers: { authorization: `Bearer ${keyB}` } });
  assert.equal(seg.statusCode, 414);
  assert.match(String(seg.headers['content-type']), /problem\+json/);
  await app.close();
});

test('keyed calls spend only their key until this instance answers the address a 401; from then on the address is looked at first', async () => {
  const memory = createMemoryRateLimitStore();
  const asked: string[] = [];
  const store = {
    take: (key: string, limit: { perSecond: number; burst: number }, cost?: number) => (asked.push(`take ${key.split(':')[0]}`), memory.take(key, limit, cost)),
    takeEach: (steps: Parameters<typeof memory.takeEach>[0]) => (asked.push(`takeEach ${steps.map((s) => s.key.split(':')[0]).join(',')}`), memory.takeEach(steps)),
  };
  const app = await createHttpServer({ logger: quiet, isReady: () => true, rateLimit: { store, perKey: { perSecond: 1, burst: 30 } } });
  app.get('/admin-thing', { preHandler: requireAdmin('the-admin-key') }, async () => ({ ok: true }));
  const call = (key: string) => app.inject({ method: 'GET', url: '/admin-thing', headers: { authorization: `Bearer ${key}` } });
  assert.equal((await call('the-admin-key')).statusCode, 200);
  assert.deepEqual(asked, ['take tok'], 'one take of the key, no look at the address');
  asked.length = 0;
  assert.equal((await call('made-up')).statusCode, 401);
  assert.deepEqual(asked, ['take tok', 'take authfail'], 'the 401 drains the address');
  asked.length = 0;
  assert.equal((await call('the-admin-key')).statusCode, 200);
  assert.deepEqual(asked, ['takeEach authfail,tok'], 'the address is looked at before the key is spent');
  await app.close();
});
