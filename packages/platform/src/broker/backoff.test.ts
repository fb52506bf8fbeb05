import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullJitterBackoff, redeliveryDelay } from './backoff.ts';

test('backoff doubles its ceiling per attempt and never passes the cap', () => {
  assert.equal(fullJitterBackoff(1, 100, 1000, () => 0.999), 99);
  assert.equal(fullJitterBackoff(3, 100, 1000, () => 0.999), 399);
  assert.equal(fullJitterBackoff(10, 100, 1000, () => 0.999), 999);
  assert.equal(fullJitterBackoff(10, 100, 1000, () => 0), 0);
});

test('an open breaker\'s retryAfterMs hint (on the error or a cause) delays redelivery to [hint, 2 * hint]', () => {
  const open = Object.assign(new Error('circuit open'), { extensions: { retryAfterMs: 800 } });
  assert.equal(redeliveryDelay(open, 1, 50, 1000, () => 0), 800);
  assert.equal(redeliveryDelay(open, 1, 50, 1000, () => 0.5), 1200);
  assert.equal(redeliveryDelay(new Error('wrapped', { cause: open }), 1, 50, 1000, () => 0), 800);
  assert.equal(redeliveryDelay(new Error('no hint'), 3, 100, 1000, () => 0.5), 200, 'plain backoff without a hint');
});
