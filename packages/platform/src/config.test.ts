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

test('rate limit: 100 per second per key with a burst of twice that by default; 0 turns it off', () => {
  assert.deepEqual(loadConfig({}).rateLimit, { perKey: 100, burst: 200 });
  assert.deepEqual(loadConfig({ ORDERFLOW_RATE_LIMIT_PER_KEY: '0' }).rateLimit.perKey, 0);
  assert.deepEqual(loadConfig({ ORDERFLOW_RATE_LIMIT_PER_KEY: '5', ORDERFLOW_RATE_LIMIT_BURST: '7' }).rateLimit, { perKey: 5, burst: 7 });
  assert.throws(() => loadConfig({ ORDERFLOW_RATE_LIMIT_PER_KEY: '-1' }), (e: unknown) => e instanceof ConfigError && /ORDERFLOW_RATE_LIMIT_PER_KEY/.test(e.message));
});
