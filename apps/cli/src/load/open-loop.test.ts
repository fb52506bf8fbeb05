import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { createLatencyRecorder } from './latency.ts';
import { errorCause, runClosedLoop, runOpenLoop } from './open-loop.ts';

test('the latency recorder reports HDR percentiles in ms', () => {
  const r = createLatencyRecorder();
  for (let i = 1; i <= 1000; i++) r.record(i / 10); // 0.1 .. 100 ms
  const s = r.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50 - 50) < 0.1, String(s.p50));
  assert.ok(Math.abs(s.p99 - 99) < 0.1, String(s.p99));
  assert.ok(Math.abs(s.p999 - 99.9) < 0.1, String(s.p999));
  assert.ok(Math.abs(s.max - 100) < 0.1, String(s.max));
  assert.ok(Number.isNaN(createLatencyRecorder().summary().p50));
});

/** A real node:http server on loopback; `handle` decides each answer. */
async function server(handle: (n: number, res: import('node:http').ServerResponse) => void) {
  let n = 0;
  const s = createServer((req, res) => {
    req.resume();
    handle(n++, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const pool = new Pool(url, { connections: 64 });
  const send = async (_op: 'x', signal: AbortSignal) => {
    const r = await pool.request({ method: 'GET', path: '/', signal });
    await r.body.dump();
    return r.statusCode;
  };
  return {
    send,
    count: () => n,
    close: async () => {
      await pool.destroy();
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    },
  };
}

test('arrivals follow the schedule: rate × duration requests, served at the offered rate', async () => {
  const srv = await server((_n, res) => res.end('ok'));
  try {
    const r = await runOpenLoop({ rate: 200, durationS: 1, pick: () => 'x' as const, send: srv.send });
    assert.equal(r.scheduled, 200);
    assert.equal(r.sent, 200);
    assert.equal(srv.count(), 200);
    assert.equal(r.ok, 200);
    assert.equal(r.statuses['200'], 200);
    assert.ok(r.throughput >= 190 && r.throughput <= 200, `throughput ${r.throughput}`);
    assert.equal(r.errorRate, 0);
    assert.equal(r.byOperation.x?.sent, 200);
  } finally {
    await srv.close();
  }
});

test('a stall shows in the latency of every request due during it (no coordinated omission)', async () => {
  // The first answer takes 300 ms and holds up the ones behind it (a server doing one thing at a time).
  let busyUntil = 0;
  const send = async (_op: 'x', _signal: AbortSignal): Promise<number> => {
    const now = performance.now();
    const start = Math.max(now, busyUntil);
    busyUntil = start + (busyUntil === 0 ? 300 : 1);
    await new Promise((r) => setTimeout(r, busyUntil - now));
    return 200;
  };
  const r = await runOpenLoop({ rate: 100, durationS: 1, pick: () => 'x' as const, send });
  assert.equal(r.ok, 100);
  // Arrivals due in the first ~200 ms waited behind the stall: more than 10 % of them are past 100 ms.
  assert.ok(r.latencyMs.p90 > 100, `p90 ${r.latencyMs.p90}`);
  assert.ok(r.latencyMs.max > 250, `max ${r.latencyMs.max}`);
  assert.ok(r.latencyMs.p50 < 50, `p50 ${r.latencyMs.p50}`);
  // ... and the generator itself kept its schedule: the lateness is the target's. The bound is
  // below the 300 ms stall with room for a busy CI machine delaying this process's own timers.
  assert.ok(r.sendLagMs.p99 < 200, `send lag ${r.sendLagMs.p99}`);
});

test('answers other than 2xx and requests without an answer are counted apart, not in the latency', async () => {
  const srv = await server((n, res) => {
    if (n % 4 === 1) {
      res.statusCode = 503;
      return void res.end();
    }
    if (n % 4 === 2) return; // never answered: times out
    res.end('ok');
  });
  try {
    const r = await runOpenLoop({ rate: 40, durationS: 0.5, pick: () => 'x' as const, send: srv.send, timeoutMs: 300 });
    assert.equal(r.scheduled, 20);
    assert.equal(r.statuses['200'], 10);
    assert.equal(r.statuses['503'], 5);
    assert.equal(r.errors.timeout, 5);
    assert.equal(r.ok, 10);
    assert.equal(r.latencyMs.count, 10);
    assert.equal(r.errorRate, 0.5);
  } finally {
    await srv.close();
  }
});

test('no answer at all is named by its cause; the backlog bound drops arrivals instead of growing', async () => {
  const refused = await runOpenLoop({
    rate: 50,
    durationS: 0.2,
    pick: () => 'x' as const,
    send: async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    },
  });
  assert.deepEqual(refused.errors, { ECONNREFUSED: 10 });
  assert.equal(refused.errorRate, 1);
  const never = await runOpenLoop({ rate: 100, durationS: 0.2, pick: () => 'x' as const, send: (_op, signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))), timeoutMs: 200, maxOutstanding: 5 });
  assert.equal(never.errors.timeout, 5);
  assert.equal(never.errors.generator_backlog, 15);
  assert.equal(errorCause('x'), 'error');
});

test('the closed-loop probe keeps its workers busy for its duration', async () => {
  const srv = await server((_n, res) => setTimeout(() => res.end('ok'), 5));
  try {
    const r = await runClosedLoop({ concurrency: 4, durationS: 0.5, pick: () => 'x' as const, send: srv.send });
    // 4 workers × ~5-6 ms per request for 0.5 s: a few hundred, far more than one per worker
    assert.ok(r.ok > 100 && r.ok <= 400, `ok ${r.ok}`);
    assert.equal(r.failed, 0);
    assert.ok(Math.abs(r.throughput - r.ok / 0.5) < 1e-9);
  } finally {
    await srv.close();
  }
});
