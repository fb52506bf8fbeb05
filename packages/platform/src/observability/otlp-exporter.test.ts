import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOtlpExporter } from './otlp-exporter.ts';

test('spans are POSTed as OTLP/HTTP JSON to <endpoint>/v1/traces; a failing collector is reported, not thrown', async () => {
  const bodies: Array<{ path: string; type: string; body: any }> = [];
  let fail = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const errors: unknown[] = [];
  const exporter = createOtlpExporter({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, flushMs: 60_000, onError: (e) => errors.push(e) });
  try {
    const span = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), parentSpanId: undefined, name: 'consume x', kind: 'consumer', service: 'payments', startMs: 1000, durationMs: 5, status: 'error', attributes: { 'order.id': 'o1' } };
    exporter.add(span);
    await exporter.flush();
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0]!.path, '/v1/traces');
    assert.equal(bodies[0]!.type, 'application/json');
    const s = bodies[0]!.body.resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(s.traceId, 'a'.repeat(32));
    assert.equal(s.kind, 5);
    assert.deepEqual(s.status, { code: 2 });
    assert.deepEqual(errors, []);
    fail = true;
    exporter.add(span);
    await exporter.flush();
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /HTTP 503/);
  } finally {
    await exporter.close();
    await new Promise((r) => server.close(r));
  }
});
