import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrentChangeError, retryOnConcurrentChange } from './apply.ts';

test('a request that raced another transaction runs again and returns its result', async () => {
  let calls = 0;
  const out = await retryOnConcurrentChange(async () => {
    calls++;
    if (calls < 3) throw new ConcurrentChangeError('moved');
    return 'cancelled';
  });
  assert.equal(out, 'cancelled');
  assert.equal(calls, 3);
});

test('other errors are not retried; a change that keeps racing gives up after the limit', async () => {
  let calls = 0;
  await assert.rejects(retryOnConcurrentChange(async () => (calls++, Promise.reject(new Error('boom')))), /boom/);
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(retryOnConcurrentChange(async () => (calls++, Promise.reject(new ConcurrentChangeError('again'))), 4), ConcurrentChangeError);
  assert.equal(calls, 4);
});
