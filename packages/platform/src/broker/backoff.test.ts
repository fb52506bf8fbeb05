import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullJitterBackoff } from './backoff.ts';

test('backoff doubles its ceiling per attempt and never passes the cap', () => {
  assert.equal(fullJitterBackoff(1, 100, 1000, () => 0.999), 99);
  assert.equal(fullJitterBackoff(3, 100, 1000, () => 0.999), 399);
  assert.equal(fullJitterBackoff(10, 100, 1000, () => 0.999), 999);
  assert.equal(fullJitterBackoff(10, 100, 1000, () => 0), 0);
});
