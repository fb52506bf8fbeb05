import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from './config.ts';

test('defaults need no environment at all', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.match(c.dataDir, /data$/);
  assert.equal(c.payment.url, undefined);
  assert.equal(c.mail.smtpUrl, undefined);
});

test('an out-of-range value is rejected naming the variable', () => {
  assert.throws(() => loadConfig({ ORDERFLOW_PORT: 'eighty' }), (e: unknown) => e instanceof ConfigError && /ORDERFLOW_PORT/.test(e.message));
  assert.throws(() => loadConfig({ ORDERFLOW_SIMULATOR_FAILURE_RATE: '2' }), ConfigError);
});
