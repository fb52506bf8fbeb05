import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createHttpServer } from './server.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../observability/metrics.ts';

const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

async function inFlight(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith('orderflow_http_requests_in_flight '));
  return Number(line?.split(' ')[1]);
}

test('orderflow_http_requests_in_flight counts requests until their response closes, aborted ones too', async () => {
  const metrics = createMetrics();
  const app = await createHttpServer({ logger: quiet, isReady: () => true, metrics });
  const gates: Array<() => void> = [];
  app.get('/slow', () => new Promise((resolve) => gates.push(() => resolve({ ok: true }))));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slow`;
  try {
    assert.equal(await inFlight(metrics), 0);
    const answered = [fetch(url), fetch(url)];
    const aborted = new AbortController();
    const gone = fetch(url, { signal: aborted.signal }).catch(() => 'aborted');
    while (gates.length < 3) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await inFlight(metrics), 3);
    aborted.abort();
    assert.equal(await gone, 'aborted');
    while ((await inFlight(metrics)) !== 2) await new Promise((r) => setTimeout(r, 5));
    for (const open of gates) open();
    for (const r of await Promise.all(answered)) assert.equal(r.status, 200);
    while ((await inFlight(metrics)) !== 0) await new Promise((r) => setTimeout(r, 5));
  } finally {
    for (const open of gates) open();
    await app.close();
  }
});
