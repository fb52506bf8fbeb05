import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope } from '@orderflow/contracts';
import { createEmbeddedBroker } from './embedded-broker.ts';
import type { DeliveredMessage } from './broker.ts';
import { uuidv7 } from '../ids.ts';

function envelope(key: string, data: unknown = {}, subject = 'orders.OrderPlaced'): EventEnvelope {
  return { id: uuidv7(), type: subject.split('.')[1]!, version: 1, source: 'orders', subject, key, occurredAt: new Date().toISOString(), data, headers: {} };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'broker-test-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('every subscribed consumer gets each message once; a republished id is dropped', () =>
  withDir(async (dir) => {
    const b = createEmbeddedBroker({ file: join(dir, 'b.db'), pollMs: 10 });
    const a: string[] = [];
    const c: string[] = [];
    b.subscribe({ consumer: 'a', subjects: ['orders.*'], handler: async (m) => void a.push(m.id) });
    b.subscribe({ consumer: 'c', subjects: ['orders.OrderPlaced'], handler: async (m) => void c.push(m.id) });
    await b.start();
    const e = envelope('k1');
    await b.publish([e]);
    await b.publish([e]);
    await until(() => a.length === 1 && c.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(a, [e.id]);
    assert.deepEqual(c, [e.id]);
    await b.close();
  }));

test('a failing handler is retried with backoff, then dead-lettered after maxAttempts, without blocking others', () =>
  withDir(async (dir) => {
    const seen: DeliveredMessage[] = [];
    const ok: string[] = [];
    const b = createEmbeddedBroker({ file: join(dir, 'b.db'), pollMs: 5, maxAttempts: 3, backoffBaseMs: 5, backoffCapMs: 20 });
    b.subscribe({
      consumer: 'x',
      subjects: ['orders.*'],
      handler: async (m) => {
        if (m.key === 'poison') {
          seen.push(m);
          throw new Error('cannot handle');
        }
        ok.push(m.key);
      },
    });
    await b.start();
    const poison = envelope('poison');
    await b.publish([poison, envelope('fine-1')]);
    await b.publish([envelope('fine-2')]);
    await until(() => ok.length === 2);
    await until(() => seen.length === 3);
    assert.deepEqual(seen.map((m) => m.attempt), [1, 2, 3]);
    await until(() => false === false);
    let dead = await b.deadLetters.list();
    for (let i = 0; i < 100 && dead.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
      dead = await b.deadLetters.list();
    }
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.messageId, poison.id);
    assert.equal(dead[0]!.attempts, 3);
    assert.match(dead[0]!.lastError, /cannot handle/);
    assert.equal(await b.deadLetters.replay(dead[0]!.id), true);
    await until(() => seen.length === 4);
    assert.equal(seen[3]!.attempt, 1, 'a replay starts counting again');
    await b.close();
  }));

test('a non-retryable error dead-letters at once', () =>
  withDir(async (dir) => {
    let calls = 0;
    const b = createEmbeddedBroker({ file: join(dir, 'b.db'), pollMs: 5, maxAttempts: 5 });
    b.subscribe({
      consumer: 'x',
      subjects: ['orders.*'],
      handler: async () => {
        calls += 1;
        throw Object.assign(new Error('malformed'), { retryable: false });
      },
    });
    await b.start();
    await b.publish([envelope('k')]);
    let dead = await b.deadLetters.list();
    for (let i = 0; i < 200 && dead.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 5));
      dead = await b.deadLetters.list();
    }
    assert.equal(dead.length, 1);
    assert.equal(calls, 1);
    await b.close();
  }));

test('unacked messages survive a crash and are delivered on the next start', () =>
  withDir(async (dir) => {
    const file = join(dir, 'b.db');
    const first = createEmbeddedBroker({ file, pollMs: 5 });
    first.subscribe({ consumer: 'x', subjects: ['orders.*'], handler: () => new Promise(() => {}) });
    await first.start();
    const e = envelope('k');
    await first.publish([e]);
    await new Promise((r) => setTimeout(r, 30));
    await first.close(0); // handler never finished: no ack
    const second = createEmbeddedBroker({ file, pollMs: 5 });
    const got: string[] = [];
    second.subscribe({ consumer: 'x', subjects: ['orders.*'], handler: async (m) => void got.push(m.id) });
    await second.start();
    await until(() => got.length === 1);
    assert.deepEqual(got, [e.id]);
    await second.close();
  }));

test('messages with the same key are never handled at the same time', () =>
  withDir(async (dir) => {
    const b = createEmbeddedBroker({ file: join(dir, 'b.db'), pollMs: 5 });
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    b.subscribe({
      consumer: 'x',
      subjects: ['orders.*'],
      concurrency: 8,
      handler: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        done += 1;
      },
    });
    await b.start();
    await b.publish(Array.from({ length: 10 }, () => envelope('same-order')));
    await until(() => done === 10);
    assert.equal(maxRunning, 1);
    await b.close();
  }));

test('while the edge is busy a consumer handles one message at a time, then full concurrency returns', () =>
  withDir(async (dir) => {
    let busy = true;
    let inFlight = 0;
    let peakBusy = 0;
    let peakCalm = 0;
    const done: string[] = [];
    const b = createEmbeddedBroker({ file: join(dir, 'b.db'), pollMs: 5, isBusy: () => busy });
    b.subscribe({
      consumer: 'x',
      subjects: ['orders.*'],
      concurrency: 8,
      handler: async (m) => {
        inFlight++;
        if (busy) peakBusy = Math.max(peakBusy, inFlight);
        else peakCalm = Math.max(peakCalm, inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        done.push(m.key);
      },
    });
    await b.start();
    await b.publish(Array.from({ length: 40 }, (_, i) => envelope(`k${i}`)));
    await until(() => done.length >= 5);
    assert.equal(peakBusy, 1);
    busy = false;
    await until(() => done.length === 40);
    assert.ok(peakCalm > 1, `full concurrency once calm: ${peakCalm}`);
    await b.close();
  }));

test('a dependency outage does not spend attempts: ten failures with an open breaker, then success, no dead letter', () =>
  withDir(async (dir) => {
    const seen: number[] = [];
    const b = createEmbeddedBroker({ file: join(dir, 'b.db'), pollMs: 5, maxAttempts: 3, backoffBaseMs: 1, backoffCapMs: 5 });
    b.subscribe({
      consumer: 'x',
      subjects: ['orders.*'],
      handler: async (m) => {
        seen.push(m.attempt);
        if (seen.length <= 10) throw Object.assign(new Error('postgres: circuit open'), { code: 'DEPENDENCY_CIRCUIT_OPEN', retryable: true });
      },
    });
    await b.start();
    await b.publish([envelope('k')]);
    await until(() => seen.length === 11);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(await b.deadLetters.list(), []);
    assert.deepEqual(new Set(seen), new Set([1]), 'every outage retry is still attempt 1');
    await b.close();
  }));
