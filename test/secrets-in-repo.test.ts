import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
function gitFiles(): string[] | undefined {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\0').filter(Boolean);
  } catch {
    return undefined; // an export without .git: nothing is tracked
  }
}
const tracked = gitFiles() ?? [];
const inGit = gitFiles() !== undefined;

test('no key, pepper or data file is tracked by git', { skip: !inGit && 'not a git checkout' }, () => {
  assert.ok(tracked.length > 50, 'git sees the repository');
  const dataFiles = tracked.filter((f) => /(^|\/)(data\/|admin\.key$)|\.db$|\.key$|\.pem$|(^|\/)\.env$/.test(f));
  assert.deepEqual(dataFiles, []);
  const leaks: string[] = [];
  for (const f of tracked) {
    const p = join(ROOT, f);
    if (statSync(p).size > 2_000_000) continue;
    const text = readFileSync(p, 'utf8');
    // A real customer key or a generated admin key; test fixtures build theirs at run time.
    if (/ofk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/.test(text) || /ofa_[A-Za-z0-9_-]{32}\b/.test(text) || /sk_live_[A-Za-z0-9]{10,}/.test(text)) leaks.push(f);
  }
  assert.deepEqual(leaks, []);
});

test('the data directory is ignored, so a generated admin key cannot be committed by accident', { skip: !inGit && 'not a git checkout' }, () => {
  const out = execFileSync('git', ['check-ignore', 'data/admin.key', 'data/orders.db'], { cwd: ROOT, encoding: 'utf8' });
  assert.deepEqual(out.trim().split('\n'), ['data/admin.key', 'data/orders.db']);
});
