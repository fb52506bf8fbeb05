import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { runLoad } from '../../../../bench/lib/load.ts';
import { runOpenLoop } from './open-loop.ts';

/** A node:http server in its own process that answers every request after 50 ms (so p50 is well above timer noise). */
const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => { req.resume(); setTimeout(() => { res.statusCode = 202; res.end('{}'); }, 50); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

test('orderflow load agrees with autocannon at a fixed rate well below the limit: throughput and p50 within 10 %', { timeout: 60_000 }, async (t) => {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    const url = `http://127.0.0.1:${port}`;
    const rate = 100;
    const durationS = 4;
    const pool = new Pool(url, { connections: 32 });
    const ours = await runOpenLoop({
      rate,
      durationS,
      pick: () => 'post' as const,
      send: async (_op, signal) => {
        const r = await pool.request({ method: 'POST', path: '/v1/orders', body: '{}', headers: { 'content-type': 'application/json' }, signal });
        await r.body.dump();
        return r.statusCode;
      },
    });
    await pool.close();
    const theirs = await runLoad({ url, path: '/v1/orders', body: '{}', connections: 10, durationS, overallRate: rate, okStatus: 202 });

    const within = (a: number, b: number) => Math.abs(a - b) / b <= 0.1;
    const figures = `ours ${ours.throughput.toFixed(1)} req/s p50 ${ours.latencyMs.p50.toFixed(2)} ms; autocannon ${theirs.okPerS.toFixed(1)} req/s p50 ${theirs.latencyMs.p50} ms`;
    t.diagnostic(figures);
    assert.equal(ours.errorRate, 0, figures);
    assert.ok(within(ours.throughput, theirs.okPerS), `throughput: ${figures}`);
    assert.ok(within(ours.latencyMs.p50, theirs.latencyMs.p50), `p50: ${figures}`);
    // ... and both are what the target does: 100 req/s, a little over 50 ms each.
    assert.ok(within(ours.throughput, rate), figures);
    assert.ok(ours.latencyMs.p50 >= 50 && ours.latencyMs.p50 < 60, figures);
  } finally {
    child.kill();
  }
});
