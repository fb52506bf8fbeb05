import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { startFaultProxy } from './fault-proxy.ts';

async function echoServer() {
  const s = createServer((c) => c.pipe(c));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { port: (s.address() as { port: number }).port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

function roundTrip(port: number, payload: string, timeoutMs = 2_000): Promise<{ reply: string; ms: number } | { error: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      c.destroy();
      resolve({ error: 'timeout', ms: performance.now() - t0 });
    }, timeoutMs);
    c.on('connect', () => c.write(payload));
    c.on('data', (d) => {
      got += d.toString();
      if (got.length >= payload.length) {
        clearTimeout(timer);
        c.end();
        resolve({ reply: got, ms: performance.now() - t0 });
      }
    });
    c.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ error: e.code ?? e.message, ms: performance.now() - t0 });
    });
  });
}

test('the fault proxy passes through, adds latency, throttles, blackholes and resets', async () => {
  const echo = await echoServer();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: echo.port });
  try {
    const plain = await roundTrip(proxy.port, 'hello');
    assert.deepEqual('reply' in plain && plain.reply, 'hello');

    proxy.set({ latencyMs: 150 });
    const slow = await roundTrip(proxy.port, 'hello');
    assert.ok('reply' in slow && slow.ms >= 290, `two hops of 150 ms: ${slow.ms}`);

    proxy.set({ bandwidthBytesPerSec: 2_000 });
    const thin = await roundTrip(proxy.port, 'x'.repeat(1_000));
    assert.ok('reply' in thin && thin.ms >= 400, `1 kB each way at 2 kB/s: ${thin.ms}`);

    proxy.set({ blackhole: true });
    const hole = await roundTrip(proxy.port, 'hello', 300);
    assert.deepEqual('error' in hole && hole.error, 'timeout');

    proxy.set({ refuse: true });
    const refused = await roundTrip(proxy.port, 'hello');
    assert.deepEqual('error' in refused && refused.error, 'ECONNRESET');

    proxy.heal();
    assert.deepEqual(await roundTrip(proxy.port, 'again').then((r) => 'reply' in r && r.reply), 'again');
    console.log(`# fault proxy: plain ${plain.ms.toFixed(1)} ms, latency ${slow.ms.toFixed(0)} ms, 2 kB/s ${thin.ms.toFixed(0)} ms`);
  } finally {
    await proxy.close();
    await echo.close();
  }
});
