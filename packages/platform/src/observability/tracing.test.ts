import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent } from './traceparent.ts';
import { createSpanStore } from './span-store.ts';
import { spansOfTrace, slowRequests } from './span-queries.ts';
import { registerTracing } from './register-tracing.ts';
import { contextFromHeaders, traceHeaders, withSpan } from './spans.ts';
import { SERVICE_ATTRIBUTE } from './tracer-provider.ts';
import { createLogger } from '../logger.ts';
import { toOtlpJson } from './otlp-exporter.ts';
import type { SpanRecord } from './span-record.ts';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('traceparent: a valid header is parsed and printed back; malformed or all-zero ids are refused', () => {
  const sc = parseTraceparent(TP)!;
  assert.equal(sc.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(sc.spanId, '00f067aa0ba902b7');
  assert.equal(formatTraceparent(sc), TP);
  for (const bad of ['', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01']) {
    assert.equal(parseTraceparent(bad), undefined, bad);
  }
});

function withDir<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tracing-test-'));
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function span(traceId: string, spanId: string, over: Partial<SpanRecord> = {}): SpanRecord {
  return { traceId, spanId, parentSpanId: undefined, name: 'x', kind: 'internal', service: 'orders', startMs: Date.now(), durationMs: 1, status: 'unset', attributes: {}, ...over };
}

test('the span store keeps at most maxSpans, dropping the oldest', () =>
  withDir((dir) => {
    const store = createSpanStore({ file: join(dir, 'traces.db'), maxSpans: 1000, flushMs: 60_000 });
    for (let i = 0; i < 1500; i++) store.add(span(i.toString(16).padStart(32, '0'), i.toString(16).padStart(16, '0')));
    store.flush();
    const count = (store.db.prepare('select count(*) as n from spans').get() as { n: number }).n;
    assert.equal(count, 1000);
    assert.equal(spansOfTrace(store.db, (0).toString(16).padStart(32, '0')).length, 0, 'the oldest went');
    assert.equal(spansOfTrace(store.db, (1499).toString(16).padStart(32, '0')).length, 1, 'the newest stayed');
    store.close();
  }));

test('spans continue a traceparent, nest through awaits, inherit their service, and ride in message headers', () =>
  withDir(async (dir) => {
    const tracing = registerTracing({ enabled: true, dataDir: dir });
    try {
      const parent = contextFromHeaders({ traceparent: TP });
      let headers: Record<string, string> = {};
      await withSpan('outer', { parent, attributes: { [SERVICE_ATTRIBUTE]: 'payments' } }, async () => {
        await new Promise((r) => setTimeout(r, 5));
        await withSpan('inner', {}, async () => {
          headers = traceHeaders();
        });
      });
      assert.match(headers.traceparent!, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
      tracing.store!.flush();
      const spans = spansOfTrace(tracing.store!.db, '4bf92f3577b34da6a3ce929d0e0e4736');
      const outer = spans.find((s) => s.name === 'outer')!;
      const inner = spans.find((s) => s.name === 'inner')!;
      assert.equal(outer.parentSpanId, '00f067aa0ba902b7');
      assert.equal(inner.parentSpanId, outer.spanId);
      assert.equal(inner.service, 'payments', 'inherited from its parent');
      assert.equal(headers.traceparent!.split('-')[2], inner.spanId);
      assert.ok(outer.durationMs >= 4);
      // A failure is recorded on the span and rethrown.
      await assert.rejects(withSpan('failing', {}, async () => Promise.reject(Object.assign(new Error('boom'), { code: 'X_FAILED' }))), /boom/);
      tracing.store!.flush();
      const failing = tracing.store!.db.prepare(`select status, attrs from spans where name = 'failing'`).get() as { status: string; attrs: string };
      assert.equal(failing.status, 'error');
      assert.equal(JSON.parse(failing.attrs)['exception.type'], 'X_FAILED');
    } finally {
      await tracing.shutdown();
    }
    assert.equal(trace.getActiveSpan(), undefined);
    assert.deepEqual(traceHeaders(), {}, 'after shutdown the API is a no-op again');
  }));

test('with tracing off nothing is recorded and no header is written', async () => {
  const tracing = registerTracing({ enabled: false, dataDir: '/nonexistent' });
  assert.equal(tracing.store, undefined);
  await withSpan('x', {}, async () => assert.deepEqual(traceHeaders(), {}));
  assert.equal(context.active(), context.active());
});

test('slow requests: ranked end to end, the why is the span with the most time of its own, customers by p95', () =>
  withDir((dir) => {
    const store = createSpanStore({ file: join(dir, 'traces.db'), flushMs: 60_000 });
    const t0 = Date.now() - 1000;
    const request = (trace: string, customer: string, providerMs: number) => {
      const root = span(trace, `${trace.slice(0, 14)}01`, { name: 'POST /v1/orders', kind: 'server', startMs: t0, durationMs: 3, attributes: { 'http.route': '/v1/orders', 'http.request.method': 'POST', 'http.response.status_code': 202, 'enduser.id': customer } });
      const consume = span(trace, `${trace.slice(0, 14)}02`, { name: 'consume payments', kind: 'consumer', service: 'payments', parentSpanId: root.spanId, startMs: t0 + 5, durationMs: providerMs + 2 });
      const provider = span(trace, `${trace.slice(0, 14)}03`, { name: 'payment_provider charge', kind: 'client', service: 'payments', parentSpanId: consume.spanId, startMs: t0 + 6, durationMs: providerMs });
      [root, consume, provider].forEach((s) => store.add(s));
    };
    request('a'.repeat(32), 'slow-customer', 800);
    request('b'.repeat(32), 'fast-customer', 5);
    request('c'.repeat(32), 'fast-customer', 6);
    // The slow customer polls their order: 40 quick reads must not hide the slow order.
    for (let i = 0; i < 40; i++) {
      const trace = `d${String(i).padStart(31, '0')}`;
      store.add(span(trace, `${trace.slice(0, 14)}01`, { name: 'GET /v1/orders/:id', kind: 'server', startMs: t0, durationMs: 1, attributes: { 'http.route': '/v1/orders/:id', 'http.request.method': 'GET', 'http.response.status_code': 200, 'enduser.id': 'slow-customer' } }));
    }
    store.flush();
    const report = slowRequests(store.db, { sinceMs: t0 - 1 });
    assert.equal(report.requests, 43);
    assert.equal(report.customers[0]!.route, 'POST /v1/orders');
    assert.equal(report.customers[0]!.requests, 41);
    assert.equal(report.slowest[0]!.customerId, 'slow-customer');
    assert.equal(report.slowest[0]!.slowestSpan!.name, 'payment_provider charge');
    assert.ok(report.slowest[0]!.totalMs >= 807);
    assert.equal(report.customers[0]!.customerId, 'slow-customer');
    assert.equal(slowRequests(store.db, { sinceMs: Date.now() + 1000 }).requests, 0, 'nothing since later');
    store.close();
  }));

test('OTLP JSON: one resource per service, ids and nanosecond times as the protocol wants', () => {
  const body = toOtlpJson([span('a'.repeat(32), 'b'.repeat(16), { startMs: 1000.5, durationMs: 2, service: 'payments', attributes: { n: 1, ok: true, s: 'x' } })]);
  const rs = body.resourceSpans[0]!;
  assert.deepEqual(rs.resource.attributes[0], { key: 'service.name', value: { stringValue: 'payments' } });
  const s = rs.scopeSpans[0]!.spans[0]!;
  assert.equal(s.startTimeUnixNano, '1000500000');
  assert.equal(s.endTimeUnixNano, '1002500000');
  assert.deepEqual(s.attributes, [{ key: 'n', value: { intValue: '1' } }, { key: 'ok', value: { boolValue: true } }, { key: 's', value: { stringValue: 'x' } }]);
});

test('log lines carry the active trace and span ids, and secrets are redacted', () =>
  withDir(async (dir) => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    const log = createLogger({ destination: sink });
    const tracing = registerTracing({ enabled: true, dataDir: dir });
    try {
      await withSpan('handler', { parent: contextFromHeaders({ traceparent: TP }) }, async () => {
        log.info(
          {
            req: { headers: { authorization: 'Bearer ofk_0123456789abcdef_secretsecretsecretsecretsecretsecretsecret' } },
            apiKey: 'ofk_live_key',
            customer: { apiKey: 'ofk_nested', paymentMethod: 'pm_card_visa' },
            secretKey: 'sk_live_123',
            paymentMethod: 'pm_card_4242',
          },
          'something happened',
        );
      });
    } finally {
      await tracing.shutdown();
    }
    await new Promise((r) => setImmediate(r));
    const rec = JSON.parse(lines.join('').trim().split('\n').pop()!) as Record<string, any>;
    assert.equal(rec.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.match(rec.span_id, /^[0-9a-f]{16}$/);
    const text = lines.join('');
    for (const secret of ['ofk_0123456789abcdef', 'ofk_live_key', 'ofk_nested', 'sk_live_123', 'pm_card_4242', 'pm_card_visa']) assert.ok(!text.includes(secret), `${secret} was logged`);
    assert.equal(rec.apiKey, '[redacted]');
  }));

test('a new trace id starts with the time in ms, so the store indexes it near its neighbours; a continued trace keeps its id', () =>
  withDir(async (dir) => {
    const tracing = registerTracing({ enabled: true, dataDir: dir });
    try {
      const before = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        await withSpan('root', {}, async () => void ids.push(traceHeaders().traceparent!.split('-')[1]!));
        await new Promise((r) => setTimeout(r, 2));
      }
      const after = Date.now();
      for (const id of ids) {
        assert.match(id, /^[0-9a-f]{32}$/);
        const ms = parseInt(id.slice(0, 12), 16);
        assert.ok(ms >= before && ms <= after, `${id} starts with ${ms}, not within [${before}, ${after}]`);
      }
      assert.deepEqual([...ids].sort(), ids, 'later traces sort later');
      assert.equal(new Set(ids.map((id) => id.slice(12))).size, 3, 'the rest is random');
      await withSpan('continued', { parent: contextFromHeaders({ traceparent: TP }) }, async () => assert.equal(traceHeaders().traceparent!.split('-')[1], '4bf92f3577b34da6a3ce929d0e0e4736'));
    } finally {
      await tracing.shutdown();
    }
  }));
