import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDependencyPolicy } from './dependency-policy.ts';
import type { DependencyPolicyOptions } from './dependency-policy-options.ts';
import type { ResilienceEvent } from './events.ts';
import { AppError } from '../errors.ts';

const base: DependencyPolicyOptions = { timeoutMs: 1_000, maxAttempts: 1, backoffBaseMs: 5, backoffCapMs: 20, breakerThreshold: 3, breakerHalfOpenMs: 100, concurrency: 4, queue: 4 };
const transient = () => Object.assign(new Error('503 from upstream'), { retryable: true });
const permanent = () => Object.assign(new Error('400 from upstream'), { retryable: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('opens after 3 consecutive transient failures, then rejects at once without calling', async () => {
  const p = createDependencyPolicy('dep', base);
  const events: ResilienceEvent[] = [];
  p.on((e) => events.push(e));
  let calls = 0;
  const failing = async () => {
    calls++;
    throw transient();
  };
  for (let i = 0; i < 3; i++) await assert.rejects(p.execute(failing), /503 from upstream/);
  assert.equal(p.stats().breaker, 'open');
  const t0 = performance.now();
  await assert.rejects(p.execute(failing), (e: AppError) => e.code === 'DEPENDENCY_CIRCUIT_OPEN' && e.retryable === true);
  assert.ok(performance.now() - t0 < 20, 'rejected fast');
  assert.equal(calls, 3);
  assert.deepEqual(events.filter((e) => e.type === 'breaker_state').map((e) => (e as { state: string }).state), ['open']);
  assert.equal(p.stats().circuitRejected, 1);
});

test('half-opens after its delay and closes on one success', async () => {
  const p = createDependencyPolicy('dep', base);
  const states: string[] = [];
  p.on((e) => e.type === 'breaker_state' && states.push(e.state));
  for (let i = 0; i < 3; i++) await assert.rejects(p.execute(async () => Promise.reject(transient())));
  await sleep(120);
  assert.equal(await p.execute(async () => 'ok'), 'ok');
  assert.deepEqual(states, ['open', 'half_open', 'closed']);
});

test('permanent errors pass through and never open the breaker', async () => {
  const p = createDependencyPolicy('dep', { ...base, maxAttempts: 3 });
  let calls = 0;
  for (let i = 0; i < 5; i++) {
    await assert.rejects(p.execute(async () => {
      calls++;
      throw permanent();
    }), /400 from upstream/);
  }
  assert.equal(calls, 5, 'not retried');
  assert.equal(p.stats().breaker, 'closed');
});

test('a call past its budget fails with DEPENDENCY_TIMEOUT and its signal is aborted', async () => {
  const p = createDependencyPolicy('dep', { ...base, timeoutMs: 50 });
  let aborted = false;
  const t0 = performance.now();
  await assert.rejects(
    p.execute((signal) => new Promise((resolve) => {
      signal.addEventListener('abort', () => (aborted = true));
      setTimeout(resolve, 1_000);
    })),
    (e: AppError) => e.code === 'DEPENDENCY_TIMEOUT' && e.retryable,
  );
  const took = performance.now() - t0;
  assert.ok(took < 200, `bounded: ${took} ms`);
  assert.ok(aborted);
  assert.equal(p.stats().timeouts, 1);
});

test('retries transient errors at most 3 attempts in all, with events', async () => {
  const p = createDependencyPolicy('dep', { ...base, maxAttempts: 3, breakerThreshold: 10 });
  const retries: number[] = [];
  p.on((e) => e.type === 'retry' && retries.push(e.delayMs));
  let calls = 0;
  await assert.rejects(p.execute(async () => {
    calls++;
    throw transient();
  }));
  assert.equal(calls, 3);
  assert.equal(retries.length, 2);
  assert.ok(retries.every((d) => d >= 0 && d <= 20), `full jitter within the cap: ${retries}`);
  calls = 0;
  assert.equal(await p.execute(async () => (++calls < 2 ? Promise.reject(transient()) : 'second time')), 'second time');
});

test('the bulkhead rejects past concurrency + queue at once with DEPENDENCY_BULKHEAD_FULL', async () => {
  const p = createDependencyPolicy('dep', { ...base, concurrency: 2, queue: 1 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = [1, 2, 3].map(() => p.execute(() => gate.then(() => 'done')));
  await sleep(5);
  assert.equal(p.stats().inFlight, 2);
  assert.equal(p.stats().queued, 1);
  await assert.rejects(p.execute(async () => 'never'), (e: AppError) => e.code === 'DEPENDENCY_BULKHEAD_FULL' && e.retryable);
  release();
  assert.deepEqual(await Promise.all(held), ['done', 'done', 'done']);
  assert.equal(p.stats().breaker, 'closed', 'rejections are not dependency failures');
});

test('refuses more than 3 attempts', () => {
  assert.throws(() => createDependencyPolicy('dep', { ...base, maxAttempts: 4 }), RangeError);
});

test('unobserved calls neither reset nor trip the breaker, are refused while it is open, and pass once it is due to half-open', async () => {
  const p = createDependencyPolicy('dep', base);
  const fail = async () => Promise.reject(transient());
  await assert.rejects(p.execute(fail));
  await assert.rejects(p.execute(fail));
  assert.equal(await p.execute(async () => 'idle connection', { observe: false }), 'idle connection');
  await assert.rejects(p.execute(fail));
  assert.equal(p.stats().breaker, 'open', 'the unobserved success did not reset the count');
  await assert.rejects(p.execute(async () => 'x', { observe: false }), (e: AppError) => e.code === 'DEPENDENCY_CIRCUIT_OPEN');
  await sleep(120);
  assert.equal(await p.execute(async () => 'x', { observe: false }), 'x');
  assert.equal(p.stats().breaker, 'open', 'still open: only an observed call probes');
  assert.equal(await p.execute(async () => 'probe'), 'probe');
  assert.equal(p.stats().breaker, 'closed');
});

test('isFailure decides what counts: answers about data pass through without opening the breaker', async () => {
  const p = createDependencyPolicy('dep', base, (e) => (e as { code?: string }).code !== '23505');
  const unique = () => Promise.reject(Object.assign(new Error('duplicate key'), { code: '23505' }));
  for (let i = 0; i < 5; i++) await assert.rejects(p.execute(unique), /duplicate key/);
  assert.equal(p.stats().breaker, 'closed');
  for (let i = 0; i < 3; i++) await assert.rejects(p.execute(async () => Promise.reject(Object.assign(new Error('terminated'), { code: '57P01' }))));
  assert.equal(p.stats().breaker, 'open');
});
