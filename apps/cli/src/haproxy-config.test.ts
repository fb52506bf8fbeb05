import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_BODY_BYTES, platformErrors } from '@orderflow/platform';
import { haproxyConfig } from './haproxy-config.ts';

const cfg = haproxyConfig({ host: '127.0.0.1', port: 18080, orders: [{ name: 'orders-1', port: 1 }], inventory: [{ name: 'inventory-1', port: 2 }], docs: { name: 'docs', port: 3 }, dashboard: { name: 'dashboard', port: 4 } });

test('every answer the entry gives itself is problem+json with the registered code and status', () => {
  const lines = cfg.split('\n').filter((l) => l.trim().startsWith('http-error '));
  assert.deepEqual(lines.map((l) => Number(/status (\d{3})/.exec(l)?.[1])), [400, 408, 413, 500, 502, 503, 504]);
  for (const line of lines) {
    assert.match(line, /content-type application\/problem\+json string '/);
    const problem = JSON.parse(/string '([^']*)'/.exec(line)![1]!) as { code: string; status: number; type: string };
    const spec = (platformErrors.specs as Record<string, { status: number }>)[problem.code];
    assert.ok(spec, `${problem.code} is registered`);
    assert.equal(problem.status, spec.status);
    assert.equal(problem.type, `urn:orderflow:problem:${problem.code}`);
    assert.equal(Number(/status (\d{3})/.exec(line)![1]), problem.status);
  }
  assert.match(lines.find((l) => l.includes('status 503'))!, /hdr retry-after 1$/);
});

test('headers past node’s 16 KiB reach an instance; a declared body over the limit is refused at the entry', () => {
  assert.match(cfg, /tune\.bufsize 65536/);
  assert.match(cfg, new RegExp(`http-request deny deny_status 413 if \\{ req\\.hdr_val\\(content-length\\) gt ${MAX_BODY_BYTES} \\}`));
});

test('HAProxy accepts the configuration', { skip: hasHaproxy() ? false : 'haproxy is not installed (apt-get install haproxy)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-haproxy-'));
  try {
    writeFileSync(join(dir, 'haproxy.cfg'), cfg);
    execFileSync('haproxy', ['-c', '-q', '-f', join(dir, 'haproxy.cfg')], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function hasHaproxy(): boolean {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
