import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope } from '@orderflow/contracts';
import { createNatsBroker, type NatsBrokerOptions } from './nats-broker.ts';
import type { Broker, DeliveredMessage } from './broker.ts';
import { uuidv7 } from '../ids.ts';
import { NATS_URL, deleteNatsPrefix, runId, until } from '../../../../test/support/distributed.ts';

const prefix = `of_${runId()}`;
const brokers: Broker[] = [];
after(async () => {
  for (const b of brokers) await b.close(0).catch(() => undefined);
  await deleteNatsPrefix(prefix);
});

let n = 0;
/** Each test its own namespace, so consumers of one never see another's messages. */
async function broker(opts: Partial<NatsBrokerOptions> & { ns: string }): Promise<Broker> {
  const b = await createNatsBroker({ url: NATS_URL, prefix: `${prefix}_${opts.ns}`, backoffBaseMs: 5, backoffCapMs: 20, ackWaitMs: 2_000, ...opts });
  brokers.push(b);
  return b;
}

function envelope(key: string, data: unknown = {}, subject = 'orders.OrderPlaced', headers: Record<string, string> = {}): EventEnvelope {
  return { id: uuidv7(), type: subject.split('.')[1]!, version: 1, source: subject.split('.')[0]!, subject, key, occurredAt: new Date().toISOString(), data, headers };
}

test('each subscribed consumer gets a message once; a republished id is dropped by the server; headers travel', async () => {
  const ns = `a${n++}`;
  const b = await broker({ ns });
  const a: DeliveredMessage[] = [];
  const c: string[] = [];
  b.subscribe({ consumer: 'payments', subjects: ['orders.*'], handler: async (m) => void a.push(m) });
  b.subscribe({ consumer: 'notifications', subjects: ['orders.OrderPlaced'], handler: async (m) => void c.push(m.id) });
  await b.start();
  const e = envelope('k1', { x: 1 }, 'orders.OrderPlaced', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  await b.publish([e]);
  await b.publish([e]);
  await until(() => a.length === 1 && c.length === 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(a.length, 1);
  assert.deepEqual(c, [e.id]);
  assert.equal(a[0]!.attempt, 1);
  assert.deepEqual(a[0]!.data, { x: 1 });
  assert.equal(a[0]!.headers.traceparent, e.headers.traceparent);
});

test('two instances of one consumer share the work: every message handled exactly once', async () => {
  const ns = `b${n++}`;
  const seen = new Map<string, number>();
  const per = [0, 0];
  const instances = await Promise.all([0, 1].map(() => broker({ ns })));
  instances.forEach((b, i) =>
    b.subscribe({
      consumer: 'inventory',
      subjects: ['orders.*'],
      concurrency: 8,
      handler: async (m) => {
        per[i]! += 1;
        seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
      },
    }),
  );
  await Promise.all(instances.map((b) => b.start()));
  const events = Array.from({ length: 300 }, (_, i) => envelope(`k${i}`));
  await instances[0]!.publish(events);
  await until(() => seen.size === 300, 15_000, '300 handled');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal([...seen.values()].filter((v) => v !== 1).length, 0, 'none handled twice');
  assert.ok(per[0]! > 0 && per[1]! > 0, `both instances worked: ${per.join('/')}`);
});

test('a failing handler is retried, dead-lettered after maxAttempts, listed, and replayed to that consumer only', async () => {
  const ns = `c${n++}`;
  const b = await broker({ ns, maxAttempts: 3 });
  let failing = true;
  const attempts: number[] = [];
  const other: string[] = [];
  b.subscribe({
    consumer: 'payments',
    subjects: ['orders.*'],
    handler: async (m) => {
      if (m.key !== 'poison') return;
      attempts.push(m.attempt);
      if (failing) throw new Error('provider exploded');
    },
  });
  b.subscribe({ consumer: 'notifications', subjects: ['orders.*'], handler: async (m) => void other.push(m.id) });
  await b.start();
  const e = envelope('poison');
  await b.publish([e]);
  await until(async () => (await b.deadLetters.list()).length === 1, 10_000, 'a dead letter');
  assert.deepEqual(attempts, [1, 2, 3]);
  const [dl] = await b.deadLetters.list({ consumer: 'payments' });
  assert.equal(dl!.id, `payments:${e.id}`);
  assert.equal(dl!.attempts, 3);
  assert.match(dl!.lastError, /provider exploded/);
  assert.equal(dl!.type, 'OrderPlaced');
  const stats = await b.stats();
  assert.equal(stats.find((s) => s.consumer === 'payments')!.dead, 1);
  failing = false;
  assert.equal(await b.deadLetters.replay(dl!.id), true);
  await until(() => attempts.length === 4, 10_000, 'the replay');
  assert.equal(attempts[3], 1, 'a replay starts a fresh attempt count');
  assert.deepEqual(await b.deadLetters.list(), []);
  assert.equal(await b.deadLetters.replay(dl!.id), false, 'gone once replayed');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(other, [e.id], 'the other consumer saw it once, not again on replay');
});

test('a non-retryable error dead-letters at once', async () => {
  const ns = `d${n++}`;
  const b = await broker({ ns, maxAttempts: 5 });
  const attempts: number[] = [];
  b.subscribe({
    consumer: 'orders',
    subjects: ['inventory.*'],
    handler: async (m) => {
      attempts.push(m.attempt);
      throw Object.assign(new Error('bad event'), { retryable: false });
    },
  });
  await b.start();
  await b.publish([envelope('x', {}, 'inventory.StockReserved')]);
  await until(async () => (await b.deadLetters.list()).length === 1, 10_000, 'a dead letter');
  assert.deepEqual(attempts, [1]);
});

test('messages of one key run one at a time, in order, within an instance', async () => {
  const ns = `e${n++}`;
  const b = await broker({ ns });
  const order: number[] = [];
  let running = 0;
  let overlap = false;
  b.subscribe({
    consumer: 'orders',
    subjects: ['payments.*'],
    concurrency: 16,
    handler: async (m) => {
      running += 1;
      if (running > 1) overlap = true;
      await new Promise((r) => setTimeout(r, 3));
      order.push((m.data as { i: number }).i);
      running -= 1;
    },
  });
  await b.start();
  await b.publish(Array.from({ length: 20 }, (_, i) => envelope('same', { i }, 'payments.PaymentCaptured')));
  await until(() => order.length === 20);
  assert.equal(overlap, false);
  assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
});

test('a message whose holder dies (no ack) is delivered again to another instance after ack_wait', async () => {
  const ns = `f${n++}`;
  const dying = await broker({ ns, ackWaitMs: 1_000 });
  const got: string[] = [];
  dying.subscribe({ consumer: 'notifications', subjects: ['orders.*'], handler: () => new Promise(() => undefined) }); // never finishes
  await dying.start();
  const e = envelope('k');
  await dying.publish([e]);
  await new Promise((r) => setTimeout(r, 300));
  // The holder's connection goes away without an ack, as on SIGKILL.
  await (dying as unknown as { nc: { close(): Promise<void> } }).nc.close();
  const live = await broker({ ns, ackWaitMs: 1_000 });
  live.subscribe({ consumer: 'notifications', subjects: ['orders.*'], handler: async (m) => void got.push(`${m.id}@${m.attempt}`) });
  await live.start();
  await until(() => got.length === 1, 10_000, 'redelivery');
  assert.equal(got[0], `${e.id}@2`);
});

test('a dependency outage does not spend deliveries: the handler is retried in place, then succeeds, no dead letter', async () => {
  const ns = `o${n++}`;
  const b = await broker({ ns, maxAttempts: 2, backoffBaseMs: 1, backoffCapMs: 5 });
  const attempts: number[] = [];
  let done = false;
  b.subscribe({
    consumer: 'orders',
    subjects: ['inventory.*'],
    handler: async (m) => {
      attempts.push(m.attempt);
      if (attempts.length <= 8) throw Object.assign(new Error('postgres: connection refused'), { code: 'DEPENDENCY_UNAVAILABLE', retryable: true });
      done = true;
    },
  });
  await b.start();
  await b.publish([envelope('x', {}, 'inventory.StockReserved')]);
  await until(() => done, 10_000, 'the handler to succeed');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await b.deadLetters.list(), []);
  assert.deepEqual(new Set(attempts), new Set([1]), 'one delivery, retried in place');
});

test('a dead letter is terminated at the server: it is not delivered again after ack_wait', async () => {
  const ns = `t${n++}`;
  let dead = 0;
  const b = await broker({ ns, maxAttempts: 5, ackWaitMs: 1_000, onDeadLetter: () => void dead++ });
  b.subscribe({
    consumer: 'orders',
    subjects: ['inventory.*'],
    handler: async () => {
      throw Object.assign(new Error('bad event'), { retryable: false });
    },
  });
  await b.start();
  await b.publish([envelope('t', {}, 'inventory.StockReserved')]);
  await until(() => dead === 1, 10_000, 'a dead letter');
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(dead, 1, 'dead-lettered once, not again after each ack_wait');
});
