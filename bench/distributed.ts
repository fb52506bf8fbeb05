/**
 * `npm run bench:distributed`: orders accepted per second through the cluster's entry (HAProxy →
 * two orders instances → PostgreSQL), beside pgbench running the same write transaction the intake
 * commits (order row + idempotency record + outbox row) at the same concurrency on the same server,
 * and their ratio. Flags: `--seconds N` (default 10), `--concurrency N` (default 32).
 * Needs PostgreSQL, NATS, HAProxy and pgbench (see .ci/run); uses and drops its own namespace.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { namespaceOf, startSystem, tempDataDir } from '../test/e2e/support/system.ts';
import { apiClient, placeWhenOrderable } from '../test/e2e/support/client.ts';
import { PG_ADMIN_URL } from '../test/support/distributed.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '32' } } });
const seconds = Math.min(20, Number(values.seconds));
const concurrency = Number(values.concurrency);

/** Closed loop: `concurrency` clients each POST an order, wait for the answer, repeat, for `seconds`. */
async function loadEntry(url: string, apiKey: string): Promise<{ accepted: number; other: number; perSecond: number }> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ items: [{ sku: 'bench-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
  let accepted = 0;
  let other = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await request(`${url}/v1/orders`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
          body,
        });
        await r.body.dump();
        if (r.statusCode === 202) accepted++;
        else other++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  await agent.close();
  return { accepted, other, perSecond: accepted / elapsed };
}

/** pgbench with the intake's write transaction, against the orders database the cluster made. */
function pgbench(database: string, customerId: string): { tps: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'of-pgbench-'));
  const script = join(dir, 'intake.sql');
  const now = `to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  writeFileSync(
    script,
    `\\set n random(1, 1000000000)
BEGIN;
INSERT INTO orders (id, customer_id, status, items, payment_method, created_at, updated_at)
  VALUES (gen_random_uuid()::text, '${customerId}', 'pending', '[{"sku":"bench-sku","quantity":1}]', 'pm_card_visa', ${now}, ${now});
INSERT INTO idempotency_keys (customer_id, key, request_hash, status_code, response, created_at)
  VALUES ('${customerId}', gen_random_uuid()::text, md5(:n::text), 202, '{"id":"x","status":"pending"}', ${now});
INSERT INTO outbox (id, type, subject, version, source, key, data, headers, occurred_at)
  VALUES (gen_random_uuid()::text, 'PgbenchOnly', 'bench.PgbenchOnly', 1, 'bench', 'k', '{}', '{}', ${now});
COMMIT;
`,
  );
  const u = new URL(PG_ADMIN_URL);
  const r = spawnSync('pgbench', ['-n', '-h', u.hostname, '-p', u.port || '5432', '-U', u.username || 'postgres', '-c', String(concurrency), '-j', '2', '-T', String(seconds), '-f', script, database], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  const output = `${r.stdout}${r.stderr}`;
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(output) ?? /tps = ([\d.]+)/.exec(output);
  if (!m) throw new Error(`pgbench gave no tps:\n${output}`);
  return { tps: Number(m[1]), output };
}

const d = tempDataDir('cluster');
// The relay would publish pgbench's outbox rows; type 'PgbenchOnly' has no consumer, so they only pass through.
const sys = await startSystem({ dataDir: d.dir, mode: 'cluster' });
try {
  const api = apiClient(sys.url);
  const cust = await api.createCustomer(sys.adminKey);
  await api.putProduct(sys.adminKey, 'bench-sku', { priceCents: 100, stock: 100_000_000 });
  await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'bench-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
  console.log(`# distributed intake: ${seconds} s, ${concurrency} clients, 2 orders instances behind HAProxy, PostgreSQL ${PG_ADMIN_URL.replace(/\/\/.*@/, '//')}`);
  const entry = await loadEntry(sys.url, cust.apiKey);
  console.log(`entry   POST /v1/orders accepted/s: ${entry.perSecond.toFixed(0)} (${entry.accepted} accepted, ${entry.other} other answers)`);
  // The cluster goes first: its pools hold most of the server's connections, pgbench needs its own.
  await sys.stop();
  const pb = pgbench(`${namespaceOf(d.dir)}_orders`, cust.id);
  console.log(`pgbench same 3-row transaction tps:    ${pb.tps.toFixed(0)}`);
  console.log(`ratio entry / pgbench:                 ${(entry.perSecond / pb.tps).toFixed(2)}`);
} finally {
  await sys.stop();
  await d.cleanup();
}
