/**
 * `npm run bench:distributed`: orders accepted per second through the cluster's entry (HAProxy →
 * two orders instances, or ORDERFLOW_CLUSTER_INSTANCES → PostgreSQL), beside pgbench running the same write transaction the intake
 * commits (order row + idempotency record + outbox row) at the same concurrency on the same server,
 * and their ratio; and, as a floor between the two, the same three rows written by a bare fastify
 * server with group commit (bench/floor-server.ts, fastify-postgres-group: no auth, no rate limit,
 * no tracing, no outbox relay, no proxy) under the same load generator, so the gap splits into
 * what HTTP on Node costs here and what orderflow's own layers cost. Under each load it prints what
 * one accepted order cost each process (ms of CPU, from /proc) and how busy each was: where the
 * next order's time would have to come from. Each run loads the entry twice per intake setting: with the whole saga running
 * (every accepted order also reserved, charged, confirmed and mailed by the other services on the
 * same cores), and with the other services paused (SIGSTOP) — the intake alone, what pgbench is
 * the reference for. Intake settings: one transaction per order, and group commit
 * (ORDERFLOW_INTAKE_BATCH). Flags: `--seconds N` (default 10), `--concurrency N` (default 32),
 * `--runs N` (default 1), `--batch N` (the group-commit setting, default 64).
 * Needs PostgreSQL, NATS, HAProxy and pgbench (see .ci/run); uses and drops its own namespaces.
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
import { startNode } from './lib/child.ts';
import { allProcessCpu, cpuByGroup } from './lib/cpu.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '32' }, runs: { type: 'string', default: '1' }, batch: { type: 'string', default: '64' } },
});
const seconds = Math.min(20, Number(values.seconds));
const concurrency = Number(values.concurrency);
const runs = Math.max(1, Number(values.runs));
const batch = Number(values.batch);
if (!(seconds > 0) || !(concurrency >= 1) || !Number.isInteger(runs) || !Number.isInteger(batch) || batch < 2 || batch > 256) {
  throw new Error('usage: --seconds N (1-20) --concurrency N (>= 1) --runs N (>= 1) --batch N (2-256)');
}

/** Closed loop: `concurrency` clients (each its own customer) POST an order, wait for the answer, repeat, for `seconds`. */
async function loadEntry(url: string, apiKeys: readonly string[]): Promise<{ accepted: number; other: number; perSecond: number }> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ items: [{ sku: 'bench-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
  let accepted = 0;
  let other = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      const apiKey = apiKeys[client % apiKeys.length]!;
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

/**
 * `load` run while every process's CPU is counted (/proc; nothing is printed without it): what one
 * accepted order cost each part of the system, in ms of CPU, and how busy each part was.
 */
async function withCpuCost<T extends { accepted: number }>(label: string, sys: { child: { pid?: number | undefined }; instances: ReadonlyArray<{ id: string; pid: number }> }, load: () => Promise<T>): Promise<T> {
  const byPid = new Map(sys.instances.map((i) => [i.pid, i.id.replace(/-\d+$/, '')]));
  const group = (pid: number, cmd: string): string | undefined => {
    if (pid === process.pid) return 'load generator';
    if (pid === sys.child.pid) return 'cluster supervisor';
    if (byPid.has(pid)) return byPid.get(pid);
    if (cmd.startsWith('postgres: ')) return 'postgres';
    if (/^\S*redis-server/.test(cmd)) return 'redis';
    if (/^\S*nats-server/.test(cmd)) return 'nats';
    if (/^\S*haproxy/.test(cmd)) return 'haproxy';
    if (/ simulator$/.test(cmd)) return 'payment simulator';
    return undefined;
  };
  const before = allProcessCpu();
  const t0 = performance.now();
  const r = await load();
  const seconds = (performance.now() - t0) / 1000;
  const used = [...cpuByGroup(before, allProcessCpu(), group)].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]);
  if (used.length > 0 && r.accepted > 0) {
    const total = used.reduce((n, [, s]) => n + s, 0);
    const parts = used.map(([g, s]) => `${g} ${((s * 1000) / r.accepted).toFixed(2)} (${Math.round((s / seconds) * 100)} %)`).join(', ');
    console.log(`    ${label}: CPU per accepted order ${((total * 1000) / r.accepted).toFixed(2)} ms — ${parts} [ms per order (% of one core)]`);
  }
  return r;
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

/** The floor server (fastify + pg, group commit) on the orders database the cluster made, loaded like the entry. */
async function floor(database: string, customerId: string): Promise<number> {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  const { child, value: url } = await startNode({
    label: 'floor fastify-postgres-group',
    args: ['bench/floor-server.ts'],
    env: { FLOOR_MODE: 'fastify-postgres-group', FLOOR_POSTGRES_URL: u.toString(), FLOOR_CUSTOMER_ID: customerId },
    ready: (line) => (line.msg === 'floor started' && typeof line.url === 'string' ? line.url : undefined),
    readyTimeoutMs: 15_000,
  });
  try {
    const r = await loadEntry(url, ['floor']);
    if (r.other > 0) throw new Error(`the floor server answered ${r.other} requests with something else than 202:\n${child.tail()}`);
    return r.perSecond;
  } finally {
    await child.stop();
  }
}

interface Measured {
  saga: number;
  intake: number;
}

/** One cluster with `intakeBatch`: the entry loaded with the saga running, then with the other services paused. */
async function measureCluster(intakeBatch: number): Promise<Measured & { database: string; customerId: string; cleanup: () => Promise<void> }> {
  const d = tempDataDir('cluster');
  const sys = await startSystem({ dataDir: d.dir, mode: 'cluster', env: { ORDERFLOW_INTAKE_BATCH: String(intakeBatch) } });
  const downstream = sys.instances.filter((i) => !i.id.startsWith('orders-'));
  try {
    const api = apiClient(sys.url);
    const customers = [];
    for (let i = 0; i < concurrency; i++) customers.push(await api.createCustomer(sys.adminKey));
    const cust = customers[0]!;
    const keys = customers.map((c) => c.apiKey);
    await api.putProduct(sys.adminKey, 'bench-sku', { priceCents: 100, stock: 100_000_000 });
    await placeWhenOrderable(api, cust.apiKey, { items: [{ sku: 'bench-sku', quantity: 1 }], paymentMethod: 'pm_card_visa' });
    const saga = await withCpuCost('saga running', sys, () => loadEntry(sys.url, keys));
    for (const i of downstream) process.kill(i.pid, 'SIGSTOP');
    let intake;
    try {
      intake = await withCpuCost('other services paused', sys, () => loadEntry(sys.url, keys));
    } finally {
      for (const i of downstream) process.kill(i.pid, 'SIGCONT');
    }
    console.log(
      `  intake batch ${String(intakeBatch).padEnd(3)}  saga running ${saga.perSecond.toFixed(0).padStart(5)}/s (${saga.other} other answers)   other services paused ${intake.perSecond.toFixed(0).padStart(5)}/s (${intake.other} other answers)`,
    );
    return { saga: saga.perSecond, intake: intake.perSecond, database: `${namespaceOf(d.dir)}_orders`, customerId: cust.id, cleanup: d.cleanup };
  } finally {
    // The cluster goes before pgbench: its pools hold most of the server's connections.
    await sys.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

console.log(`# distributed intake: ${runs} run(s), ${seconds} s per load, ${concurrency} clients, ${process.env.ORDERFLOW_CLUSTER_INSTANCES ?? 2} instance(s) of each service behind HAProxy, PostgreSQL ${PG_ADMIN_URL.replace(/\/\/.*@/, '//')}`);
const single: Measured[] = [];
const grouped: Measured[] = [];
const pgbenchTps: number[] = [];
const floorRates: number[] = [];
for (let run = 1; run <= runs; run++) {
  console.log(`run ${run}`);
  // Alternate which setting goes first, so drift on a shared machine does not favour one.
  const order = run % 2 ? [1, batch] : [batch, 1];
  const cleanups: Array<() => Promise<void>> = [];
  try {
    let reference: { database: string; customerId: string } | undefined;
    for (const b of order) {
      const m = await measureCluster(b);
      cleanups.push(m.cleanup);
      (b === 1 ? single : grouped).push(m);
      reference ??= m;
    }
    const pb = pgbench(reference!.database, reference!.customerId);
    pgbenchTps.push(pb.tps);
    console.log(`  pgbench, same 3-row transaction, ${concurrency} clients: ${pb.tps.toFixed(0)} tps`);
    const fl = await floor(reference!.database, reference!.customerId);
    floorRates.push(fl);
    console.log(`  bare fastify + pg, group commit, same rows, no proxy: ${fl.toFixed(0)}/s`);
  } finally {
    for (const c of cleanups) await c();
  }
}

const pg = median(pgbenchTps);
const row = (label: string, xs: Measured[]) => {
  const intake = median(xs.map((x) => x.intake));
  const saga = median(xs.map((x) => x.saga));
  console.log(`${label.padEnd(34)} intake alone ${intake.toFixed(0).padStart(5)}/s = ${(intake / pg).toFixed(2)} of pgbench (${(intake / fl).toFixed(2)} of the bare server)   saga running ${saga.toFixed(0).padStart(5)}/s = ${(saga / pg).toFixed(2)}`);
  return { intake, saga };
};
const fl = median(floorRates);
console.log(`medians over ${runs} run(s); pgbench ${pg.toFixed(0)} tps; bare fastify + pg group commit ${fl.toFixed(0)}/s = ${(fl / pg).toFixed(2)} of pgbench`);
const a = row('one transaction per order', single);
const b = row(`group commit (up to ${batch} per tx)`, grouped);
const sameRun = (f: (m: Measured) => number) => median(grouped.map((g, i) => f(g) / f(single[i]!)));
console.log(
  `group commit / one per order, median of same-run ratios: intake alone ${sameRun((m) => m.intake).toFixed(2)}x, saga running ${sameRun((m) => m.saga).toFixed(2)}x (ratio of medians: ${(b.intake / a.intake).toFixed(2)}x, ${(b.saga / a.saga).toFixed(2)}x)`,
);
