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

test('secrets come from the variable or from the file its _FILE variable names', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-secret-'));
  try {
    writeFileSync(join(dir, 'admin'), 'from-a-file\n');
    writeFileSync(join(dir, 'empty'), '\n');
    const c = loadConfig({ ORDERFLOW_ADMIN_KEY_FILE: join(dir, 'admin'), ORDERFLOW_KEY_PEPPER_FILE: join(dir, 'admin'), ORDERFLOW_PAYMENT_KEY_FILE: join(dir, 'admin') });
    assert.equal(c.adminKey, 'from-a-file');
    assert.equal(c.keyPepper, 'from-a-file');
    assert.equal(c.payment.secretKey, 'from-a-file');
    assert.equal(loadConfig({ ORDERFLOW_ADMIN_KEY: 'direct', ORDERFLOW_ADMIN_KEY_FILE: join(dir, 'admin') }).adminKey, 'direct');
    assert.throws(() => loadConfig({ ORDERFLOW_ADMIN_KEY_FILE: join(dir, 'missing') }), (e: unknown) => e instanceof ConfigError && /ORDERFLOW_ADMIN_KEY_FILE/.test(e.message));
    assert.throws(() => loadConfig({ ORDERFLOW_KEY_PEPPER_FILE: join(dir, 'empty') }), ConfigError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the write lane: 8 writes per event-loop turn in embedded mode, none in distributed mode; 0 turns it off', () => {
  assert.equal(loadConfig({}).writesPerTurn, 8);
  assert.equal(loadConfig({ ORDERFLOW_MODE: 'distributed' }).writesPerTurn, 0);
  assert.equal(loadConfig({ ORDERFLOW_WRITES_PER_TURN: '0' }).writesPerTurn, 0);
  assert.equal(loadConfig({ ORDERFLOW_MODE: 'distributed', ORDERFLOW_WRITES_PER_TURN: '4' }).writesPerTurn, 4);
  assert.throws(() => loadConfig({ ORDERFLOW_WRITES_PER_TURN: '-1' }), (e: unknown) => e instanceof ConfigError && /ORDERFLOW_WRITES_PER_TURN/.test(e.message));
});

test('the cache: on by default in distributed mode, off in embedded mode, either way by ORDERFLOW_CACHE', () => {
  assert.equal(loadConfig({}).readPath.cache, false);
  assert.equal(loadConfig({ ORDERFLOW_MODE: 'distributed' }).readPath.cache, true);
  assert.equal(loadConfig({ ORDERFLOW_CACHE: 'on' }).readPath.cache, true);
  assert.equal(loadConfig({ ORDERFLOW_MODE: 'distributed', ORDERFLOW_CACHE: 'off' }).readPath.cache, false);
  assert.throws(() => loadConfig({ ORDERFLOW_CACHE: 'yes' }), (e: unknown) => e instanceof ConfigError && /ORDERFLOW_CACHE/.test(e.message));
});
