import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY_PATTERN } from '@orderflow/platform';
import { generateApiKey, hashSecret } from './api-keys.ts';

test('generated keys have the documented shape and only their keyed hash is kept', () => {
  const k = generateApiKey('pepper');
  assert.match(k.key, API_KEY_PATTERN);
  assert.ok(!k.hash.includes(k.key.slice(21)));
  assert.equal(k.hash, hashSecret('pepper', k.key.slice(21)));
  assert.notEqual(k.hash, hashSecret('other pepper', k.key.slice(21)));
});
