import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { createEmbeddedBroker, uuidv7 } from '@orderflow/platform';
import { tempDataDir } from '../../../test/e2e/support/system.ts';

const run = promisify(execFile);
const MAIN = resolve(import.meta.dirname, 'main.ts');

async function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, ORDERFLOW_DATA_DIR: dataDir } });
    return { code: 0, stdout: r.stdout };
  } catch (e) {
    const x = e as { code: number; stdout: string };
    return { code: x.code, stdout: x.stdout };
  }
}

test('orderflow dead-letters list shows a dead letter, replay puts it back once, an unknown id exits 1', { timeout: 60_000 }, async () => {
  const d = tempDataDir();
  try {
    const broker = createEmbeddedBroker({ file: join(d.dir, 'broker.db'), pollMs: 20 });
    let handled = 0;
    broker.subscribe({ consumer: 'cli-test', subjects: ['orders.*'], handler: async () => {
      handled++;
      throw Object.assign(new Error('poison'), { retryable: false });
    } });
    await broker.start();
    const id = uuidv7();
    await broker.publish([{ id, type: 'OrderPlaced', version: 1, source: 'orders', subject: 'orders.OrderPlaced', key: 'k1', occurredAt: new Date().toISOString(), data: {}, headers: {} }]);
    for (let i = 0; i < 100 && (await broker.deadLetters.list({})).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await broker.close(0);

    const listed = await cli(d.dir, 'dead-letters', 'list', '--json');
    assert.equal(listed.code, 0);
    const items = JSON.parse(listed.stdout) as Array<{ id: string; messageId: string; consumer: string; lastError: string }>;
    assert.equal(items.length, 1);
    assert.equal(items[0]!.messageId, id);
    assert.equal(items[0]!.consumer, 'cli-test');
    assert.match(items[0]!.lastError, /poison/);

    const text = await cli(d.dir, 'dead-letters', 'list');
    assert.match(text.stdout, /OrderPlaced\tkey=k1/);

    const replay = await cli(d.dir, 'dead-letters', 'replay', items[0]!.id);
    assert.equal(replay.code, 0);
    assert.match(replay.stdout, /replayed/);
    assert.deepEqual(JSON.parse((await cli(d.dir, 'dead-letters', 'list', '--json')).stdout), [], 'no longer dead');
    assert.equal((await cli(d.dir, 'dead-letters', 'replay', items[0]!.id)).code, 1, 'replayed only once');
    assert.equal((await cli(d.dir, 'dead-letters', 'replay', 'nobody:nothing')).code, 1);
    assert.equal(handled, 1);
  } finally {
    d.cleanup();
  }
});
