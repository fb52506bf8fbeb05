import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNatsBroker } from './nats-broker.ts';
import { openPostgresDatabase } from '../db/postgres.ts';
import { ensureServiceDatabase } from '../db/pg-provision.ts';
import { platformMigrations } from '../db/platform-migrations.ts';
import { appendToOutbox } from '../outbox/outbox.ts';
import { createOutboxRelay } from '../outbox/relay.ts';
import { PG_ADMIN_URL, dropPgPrefix, runId, until } from '../../../../test/support/distributed.ts';

// A NATS server of this test's own (own port, own store), so stopping it disturbs nobody else.
const prefix = `of_${runId()}_`;
const store = mkdtempSync(join(tmpdir(), 'of-nats-'));
let server: ChildProcess | undefined;
after(async () => {
  server?.kill('SIGKILL');
  rmSync(store, { recursive: true, force: true });
  await dropPgPrefix(prefix);
});

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startNats(port: number): Promise<ChildProcess> {
  const p = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
  await until(
    () =>
      new Promise<boolean>((res) => {
        const s = createServer();
        s.once('error', () => res(true)); // port taken: the server listens
        s.listen(port, '127.0.0.1', () => s.close(() => res(false)));
      }),
    10_000,
    'nats-server listening',
  );
  return p;
}

test('NATS down for 10 s: committed events wait in the outbox, and all arrive once after it is back', async () => {
  const port = await freePort();
  server = await startNats(port);
  const url = await ensureServiceDatabase(PG_ADMIN_URL, { database: `${prefix}orders`, role: `${prefix}orders` });
  const db = await openPostgresDatabase({ url, migrations: platformMigrations, poolSize: 4 });
  const broker = await createNatsBroker({ url: `nats://127.0.0.1:${port}`, prefix: 'outage', ackWaitMs: 2_000 });
  const handled: string[] = [];
  broker.subscribe({ consumer: 'payments', subjects: ['orders.*'], handler: async (m) => void handled.push(m.id) });
  await broker.start();
  const relay = createOutboxRelay({ db, broker, idlePollMs: 50 });
  db.onCommit(() => relay.notify());
  relay.start();
  const write = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => db.transaction((trx) => appendToOutbox(trx, [{ type: 'OrderPlaced', key: `k${i}`, data: {} as never }]))));
  try {
    await write(20);
    await until(() => handled.length === 20, 10_000, 'the first 20');

    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
    const down = Date.now();
    await write(30); // orders keep being accepted: their events are committed to the outbox
    await until(async () => (await relay.pending()).count === 30, 5_000, '30 rows waiting');
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - down))));
    assert.equal((await relay.pending()).count, 30, 'nothing dropped while NATS is down');

    server = await startNats(port);
    await until(() => handled.length >= 50, 30_000, 'all 50 after NATS came back');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(handled.length, 50, 'none handled twice');
    assert.equal(new Set(handled).size, 50);
    assert.equal((await relay.pending()).count, 0);
  } finally {
    await relay.stop();
    await broker.close(0);
    await db.close();
  }
});
