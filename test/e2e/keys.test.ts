import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startSystem, tempDataDir, type SystemProcess } from './support/system.ts';
import { queryServiceDb } from './support/service-db.ts';
import { apiClient, type ApiClient } from './support/client.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Runs `orderflow <args>` as a user would, against the running server. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/cli/src/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('API keys: random, shown once, stored as a keyed hash, rotated and revoked', () => {
  let sys: SystemProcess;
  let api: ApiClient;
  let cleanup: () => Promise<void>;

  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir });
    api = apiClient(sys.url);
  });

  after(async () => {
    await sys.stop();
    await cleanup();
  });

  test('only a keyed hash of the secret is stored; the key is never readable again', async () => {
    const c = await api.createCustomer(sys.adminKey);
    assert.match(c.apiKey, /^ofk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const secret = c.apiKey.slice(21);
    // The orders service's own database: the SQLite file in embedded mode, its PostgreSQL database in cluster mode.
    const [row] = await queryServiceDb(sys, 'orders', 'select * from api_keys where customer_id = $1', [c.id]);
    assert.match(String(row?.hash), /^[0-9a-f]{64}$/);
    const everything = JSON.stringify(await queryServiceDb(sys, 'orders', 'select * from api_keys')) + JSON.stringify(await queryServiceDb(sys, 'orders', 'select * from customers'));
    assert.ok(!everything.includes(secret), 'the secret is not stored');
    const listed = await api.call('GET', `/v1/customers/${c.id}/keys`, { key: sys.adminKey });
    assert.equal(listed.status, 200);
    assert.ok(!JSON.stringify(listed.body).includes(secret), 'listing shows ids and dates only');
    assert.deepEqual(Object.keys(listed.body.items[0]).sort(), ['createdAt', 'customerId', 'id', 'revokedAt']);
  });

  test('rotation: a new key works alongside the old; revoking the old stops it at once, not the new', async () => {
    const c = await api.createCustomer(sys.adminKey);
    const fresh = await api.call('POST', `/v1/customers/${c.id}/keys`, { key: sys.adminKey });
    assert.equal(fresh.status, 201);
    assert.notEqual(fresh.body.apiKey, c.apiKey);
    assert.equal((await api.listOrders(c.apiKey)).status, 200);
    assert.equal((await api.listOrders(fresh.body.apiKey)).status, 200);

    const oldId = c.apiKey.slice(4, 20);
    const revoked = await api.call('POST', `/v1/keys/${oldId}/revoke`, { key: sys.adminKey });
    assert.equal(revoked.status, 200);
    assert.equal(typeof revoked.body.revokedAt, 'string');
    const after = await api.listOrders(c.apiKey);
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'UNAUTHENTICATED');
    assert.equal((await api.listOrders(fresh.body.apiKey)).status, 200);

    const again = await api.call('POST', `/v1/keys/${oldId}/revoke`, { key: sys.adminKey });
    assert.equal(again.body.revokedAt, revoked.body.revokedAt, 'revoking twice keeps the first time');
    const keys = (await api.call('GET', `/v1/customers/${c.id}/keys`, { key: sys.adminKey })).body.items as Array<{ id: string; revokedAt: string | null }>;
    assert.deepEqual(keys.map((k) => [k.id, k.revokedAt !== null]).sort(), [[oldId, true], [fresh.body.id, false]].sort());
  });

  test('unknown customer or key is a 404; a customer cannot mint or revoke keys', async () => {
    const c = await api.createCustomer(sys.adminKey);
    const nobody = await api.call('POST', '/v1/customers/0190a8d4-0000-7000-8000-000000000000/keys', { key: sys.adminKey });
    assert.equal(nobody.status, 404);
    assert.equal(nobody.body.code, 'CUSTOMER_NOT_FOUND');
    const noKey = await api.call('POST', '/v1/keys/0123456789abcdef/revoke', { key: sys.adminKey });
    assert.equal(noKey.status, 404);
    assert.equal(noKey.body.code, 'API_KEY_NOT_FOUND');
    assert.equal((await api.call('POST', `/v1/customers/${c.id}/keys`, { key: c.apiKey })).status, 403);
    assert.equal((await api.call('POST', `/v1/keys/${c.apiKey.slice(4, 20)}/revoke`, { key: c.apiKey })).status, 403);
    assert.equal((await api.listOrders(c.apiKey)).status, 200, 'still live');
  });

  test('the CLI creates, lists and revokes keys through the running server', async () => {
    const c = await api.createCustomer(sys.adminKey);
    const created = await cli(['keys', 'create', c.id, '--url', sys.url, '--admin-key', sys.adminKey]);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.match(/ofk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/)?.[0];
    assert.ok(key, created.stdout);
    assert.equal((await api.listOrders(key)).status, 200);

    const listed = await cli(['keys', 'list', c.id, '--url', sys.url, '--json'], { ORDERFLOW_ADMIN_KEY: sys.adminKey });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((JSON.parse(listed.stdout) as { items: unknown[] }).items.length, 2);

    const revoked = await cli(['keys', 'revoke', key.slice(4, 20), '--url', sys.url, '--admin-key', sys.adminKey]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /revoked/);
    assert.equal((await api.listOrders(key)).status, 401);
    assert.equal((await api.listOrders(c.apiKey)).status, 200, 'the other key still works');

    const wrongAdmin = await cli(['keys', 'create', c.id, '--url', sys.url, '--admin-key', 'nope']);
    assert.equal(wrongAdmin.code, 1);
    assert.match(wrongAdmin.stderr, /401 UNAUTHENTICATED/);
  });
});
