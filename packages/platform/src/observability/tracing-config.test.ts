import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../config.ts';

test('tracing is on by default; ORDERFLOW_TRACING=off turns it off; bad values name the variable', () => {
  assert.equal(loadConfig({}).tracing.enabled, true);
  assert.equal(loadConfig({}).tracing.otlpEndpoint, undefined);
  assert.equal(loadConfig({ ORDERFLOW_TRACING: 'off' }).tracing.enabled, false);
  assert.equal(loadConfig({ ORDERFLOW_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracing.otlpEndpoint, 'http://127.0.0.1:4318');
  assert.throws(() => loadConfig({ ORDERFLOW_TRACING: 'maybe' }), (e: Error) => e instanceof ConfigError && e.message.includes('ORDERFLOW_TRACING'));
  assert.throws(() => loadConfig({ ORDERFLOW_OTLP_ENDPOINT: 'collector:4318' }), (e: Error) => e instanceof ConfigError && e.message.includes('ORDERFLOW_OTLP_ENDPOINT'));
  assert.throws(() => loadConfig({ ORDERFLOW_TRACE_MAX_SPANS: '10' }), /ORDERFLOW_TRACE_MAX_SPANS/);
});
