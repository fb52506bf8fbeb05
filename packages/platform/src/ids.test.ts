import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7, UUID_PATTERN } from './ids.ts';

test('uuidv7 ids are valid v7 uuids and sort in creation order, even within one millisecond', () => {
  const ids = Array.from({ length: 2000 }, () => uuidv7(1_700_000_000_000));
  const re = new RegExp(UUID_PATTERN);
  for (const id of ids) {
    assert.match(id, re);
    assert.equal(id[14], '7');
  }
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
});
