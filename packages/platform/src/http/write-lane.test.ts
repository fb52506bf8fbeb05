import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createHttpServer } from './server.ts';
import { createWriteLane, installWriteLane } from './write-lane.ts';
import { createLogger } from '../logger.ts';

const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const turn = () => new Promise((resolve) => setImmediate(resolve));

test('the write lane starts perTurn writes at once and the rest in later turns, in arrival order', async () => {
  const lane = createWriteLane(8);
  const ran: number[] = [];
  for (let i = 0; i < 20; i++) lane.admit(() => ran.push(i));
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(lane.waiting, 12);
  await turn();
  assert.equal(ran.length, 16);
  await turn();
  assert.deepEqual(ran, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(lane.waiting, 0);
  // Idle again: the next write starts at once.
  await turn();
  lane.admit(() => ran.push(20));
  assert.equal(ran.at(-1), 20);
});

test('writes per turn must be a positive integer', () => {
  assert.throws(() => createWriteLane(0), RangeError);
  assert.throws(() => createWriteLane(1.5), RangeError);
});

/**
 * The client runs in its own process, as a load generator would (a client on the server's event
 * loop hands its requests over one per turn). It asks for GET /block and waits until the server is
 * in it (the handler writes a `blocking` file), sends a POST on 64 connections and then the GET /r,
 * and writes a `sent` file; the handler holds the loop until that file is there. So every request
 * is in the server's socket buffers when its loop next polls, the read last, however late a busy
 * machine schedules either process (sleeps in the client made the test depend on that). It prints
 * every status line.
 */
const client = `
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const [port, dir] = [Number(process.argv[1]), process.argv[2]];
const open = () => new Promise((resolve, reject) => { const s = net.connect(port, '127.0.0.1', () => resolve(s)); s.on('error', reject); });
const answer = (s) => new Promise((resolve) => { let t = ''; s.setEncoding('utf8').on('data', (d) => { t += d; if (t.includes('\\r\\n\\r\\n')) resolve(t.split('\\r\\n')[0]); }); });
(async () => {
  const socks = await Promise.all(Array.from({ length: 66 }, open));
  const [writers, reader, blocker] = [socks.slice(0, 64), socks[64], socks[65]];
  const statuses = socks.map(answer);
  blocker.write('GET /block HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n');
  while (!fs.existsSync(path.join(dir, 'blocking'))) await new Promise((r) => setTimeout(r, 1));
  for (const s of writers) s.write('POST /w HTTP/1.1\\r\\nhost: x\\r\\ncontent-type: application/json\\r\\ncontent-length: 2\\r\\n\\r\\n{}');
  reader.write('GET /r HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n');
  fs.writeFileSync(path.join(dir, 'sent'), '');
  process.stdout.write(JSON.stringify(await Promise.all(statuses)));
  for (const s of socks) s.destroy();
})();
`;

test('a read that arrives behind 64 writes is answered before the writes queued ahead of it have run', async () => {
  const app = await createHttpServer({ logger: quiet, isReady: () => true });
  const lane = installWriteLane(app, 4);
  const ran: string[] = [];
  let waitingAtRead = -1;
  app.post('/w', async () => {
    const until = performance.now() + 1; // a write's synchronous work, as SQLite's is
    while (performance.now() < until);
    ran.push('w');
    return { ok: true };
  });
  const dir = mkdtempSync(join(tmpdir(), 'of-write-lane-'));
  app.get('/block', async () => {
    writeFileSync(join(dir, 'blocking'), '');
    const until = performance.now() + 30_000;
    while (!existsSync(join(dir, 'sent')) && performance.now() < until); // the loop held until every request is sent
    return { ok: true };
  });
  app.get('/r', async () => {
    waitingAtRead = lane.waiting;
    ran.push('r');
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    const child = spawn(process.execPath, ['-e', client, String(port), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    const statuses = JSON.parse(out) as string[];
    assert.deepEqual(new Set(statuses), new Set(['HTTP/1.1 200 OK']));
    assert.equal(ran.length, 65);
    // Without the lane the read waits for every write that arrived before it (all 64).
    assert.ok(waitingAtRead >= 16, `writes still waiting when the read ran: ${waitingAtRead}; order ${ran.join('')}`);
    assert.ok(ran.indexOf('r') < 48, `the read ran after ${ran.indexOf('r')} writes`);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
