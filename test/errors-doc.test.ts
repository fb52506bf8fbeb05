import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allRegistries } from './error-registry.ts';

test('docs/errors.md lists every registered error with its status and retryable flag, and nothing else', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (yes|no) \|/gm)) rows.set(m[1]!, `${m[2]} ${m[3]}`);
  const expected = new Map<string, string>();
  for (const [, specs] of allRegistries()) for (const [code, s] of Object.entries(specs)) expected.set(code, `${s.status} ${s.retryable ? 'yes' : 'no'}`);
  assert.deepEqual([...rows].sort(), [...expected].sort());
});
