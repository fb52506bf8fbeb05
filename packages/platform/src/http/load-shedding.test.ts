import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { registerLoadShedding } from './load-shedding.ts';

async function server(opts: Partial<Parameters<typeof registerLoadShedding>[1]>) {
  const app = Fastify();
  const shed: string[] = [];
  await registerLoadShedding(app, { maxEventLoopDelayMs: 0, maxHeapUsedMb: 0, maxInFlight: 0, retryAfterSeconds: 2, onShed: (r) => shed.push(r), ...opts });
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 300));
    return { ok: true };
  });
  app.get('/fast', async () => ({ ok: true }));
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { app, url, shed };
}

async function timed(url: string) {
  const t0 = performance.now();
  const r = await fetch(url);
  const body = (await r.json()) as { code?: string };
  return { status: r.status, retryAfter: r.headers.get('retry-after'), type: r.headers.get('content-type'), body, ms: performance.now() - t0 };
}

test('past the in-flight limit a request gets a fast 503 problem with Retry-After; under it, work goes on', async () => {
  const { app, url, shed } = await server({ maxInFlight: 2 });
  try {
    const rs = await Promise.all([1, 2, 3, 4, 5].map(() => timed(`${url}/slow`)));
    const ok = rs.filter((r) => r.status === 200);
    const refused = rs.filter((r) => r.status === 503);
    assert.equal(ok.length, 2);
    assert.equal(refused.length, 3);
    for (const r of refused) {
      assert.equal(r.retryAfter, '2');
      assert.match(r.type ?? '', /application\/problem\+json/);
      assert.equal(r.body.code, 'OVERLOADED');
      assert.ok(r.ms < Math.min(...ok.map((o) => o.ms)), `shed before any admitted request finished its 300 ms: ${r.ms.toFixed(1)} ms`);
    }
    assert.deepEqual(shed, ['in_flight', 'in_flight', 'in_flight']);
    assert.equal((await timed(`${url}/fast`)).status, 200, 'slots come back when requests finish');
  } finally {
    await app.close();
  }
});

test('a blocked event loop sheds the next requests, but never /healthz, and recovers', async () => {
  const { app, url, shed } = await server({ maxEventLoopDelayMs: 100 });
  try {
    assert.equal((await timed(`${url}/fast`)).status, 200);
    const until = performance.now() + 300;
    while (performance.now() < until); // a 300 ms block, as a CPU-heavy request would cause
    const [during, health] = await Promise.all([timed(`${url}/fast`), timed(`${url}/healthz`)]);
    assert.equal(during.status, 503);
    assert.equal(during.body.code, 'OVERLOADED');
    assert.equal(health.status, 200);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await timed(`${url}/fast`)).status, 200, 'back to normal once the loop keeps time');
    assert.ok(shed.includes('event_loop_delay'));
  } finally {
    await app.close();
  }
});

test('busy() tells the rest of the process: at the in-flight limit and for a moment after a shed, then calm again', async () => {
  const app = Fastify();
  const pressure = await registerLoadShedding(app, { maxEventLoopDelayMs: 0, maxHeapUsedMb: 0, maxInFlight: 1, retryAfterSeconds: 1 });
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 100));
    return { ok: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    assert.equal(pressure.busy(), false);
    let firstDone = false;
    const first = fetch(`${url}/slow`).then(() => void (firstDone = true));
    while (!pressure.busy() && !firstDone) await new Promise((r) => setTimeout(r, 2));
    assert.equal(firstDone, false, 'busy while the one slot is taken');
    const refused = await fetch(`${url}/slow`);
    const justShed = pressure.busy();
    assert.equal(refused.status, 503);
    assert.equal(justShed, true, 'busy right after a shed');
    await first;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pressure.busy(), false, 'calm 250 ms after the last shed with nothing in flight');
  } finally {
    await app.close();
  }
});
