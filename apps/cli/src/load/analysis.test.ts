import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breaks, findBottleneck, findKnee, type CapacityStep } from './analysis.ts';
import { planRates } from './capacity.ts';
import type { StepSignals } from './signals.ts';

const quiet: StepSignals = {
  processCpuCores: 0.2,
  machineCpuBusy: 0.3,
  eventLoopDelayP99Ms: 12,
  rssMb: 180,
  heapUsedMb: 60,
  outboxAgeS: 0,
  outboxAgeService: null,
  consumerLag: 0,
  consumerLagConsumer: null,
  consumerLagGrowth: 0,
  breakersNotClosed: [],
  bulkheadQueueMax: 0,
  bulkheadQueueName: null,
  httpInFlightMax: 2,
  dbPoolWaitingMax: 0,
};

function step(offeredRate: number, over: Partial<CapacityStep> = {}, signals: Partial<StepSignals> = {}): CapacityStep {
  return {
    multiple: offeredRate / 100,
    offeredRate,
    durationS: 10,
    throughput: offeredRate,
    p50Ms: 3,
    p90Ms: 5,
    p99Ms: 10,
    p999Ms: 15,
    maxMs: 20,
    errorRate: 0,
    statuses: { 202: offeredRate * 10 },
    errors: {},
    generatorLagP99Ms: 1,
    signals: { ...quiet, ...signals },
    settleS: 0.3,
    ...over,
  };
}

test('the knee is the last step served well; the next one says why it broke', () => {
  const steps = [step(100), step(200, {}, { processCpuCores: 0.5 }), step(300, { p99Ms: 40 }, { processCpuCores: 0.95 }), step(400, { throughput: 310, p99Ms: 900 }, { processCpuCores: 1.02, eventLoopDelayP99Ms: 140 }), step(500, { throughput: 305, errorRate: 0.2 })];
  const knee = findKnee(steps);
  assert.ok(knee.found);
  assert.equal(knee.stepIndex, 2);
  assert.equal(knee.offeredRate, 300);
  assert.equal(knee.brokeAt.offeredRate, 400);
  assert.deepEqual(knee.brokeAt.reasons, ['served 310 of 400 req/s offered (78 %)', 'p99 900 ms past 100 ms']);

  const b = findBottleneck(steps, knee);
  // CPU crossed 0.9 cores at step 3, before the event loop's delay crossed 100 ms at step 4.
  assert.equal(b.resource, 'cpu: the orderflow process (its event-loop thread)');
  assert.equal(b.stepIndex, 2);
  assert.match(b.evidence, /^at step 3 \(300 req\/s offered, 300 served, p99 40 ms\): process CPU 0\.95 cores/);
  assert.deepEqual(b.crossings.map((c) => [c.resource.split(':')[0], c.stepIndex]), [['cpu', 2], ['event loop', 3]]);
});

test('errors, a p99 that breaks away and a pipeline that cannot drain each break a step', () => {
  const first = step(100);
  assert.deepEqual(breaks(step(200), first), []);
  assert.deepEqual(breaks(step(200, { errorRate: 0.05 }), first), ['error rate 5.0 %']);
  assert.deepEqual(breaks(step(200, { p99Ms: 60 }), first), []); // under the 100 ms floor
  assert.deepEqual(breaks(step(200, { p99Ms: 120 }), first), ['p99 120 ms past 100 ms']);
  assert.deepEqual(breaks(step(200, { p99Ms: NaN, throughput: 0, errorRate: 1 }), first).length, 3);
  assert.deepEqual(breaks(step(200, { settleS: 7.5 }), first), ['the pipeline fell behind: its backlog took 7.5 s to drain after the 10 s step']);
  assert.deepEqual(breaks(step(200, { settleS: null }), first), ['the pipeline fell behind: its backlog took longer than the wait to drain after the 10 s step']);
});

test('the pipeline saturating first is named with its consumer', () => {
  const steps = [step(100), step(200, {}, { consumerLag: 450, consumerLagGrowth: 440, consumerLagConsumer: 'payments' }), step(300, { settleS: 9 }, { consumerLag: 3000, consumerLagGrowth: 2500, consumerLagConsumer: 'payments', processCpuCores: 0.95 })];
  const b = findBottleneck(steps, findKnee(steps));
  assert.equal(b.resource, 'pipeline: consumer lag');
  assert.match(b.evidence, /consumer payments lag 450 messages/);
  assert.match(b.advice, /consumer instances/);
});

test('without a break there is no knee, and nothing is named as saturated', () => {
  const steps = [step(100), step(200), step(300)];
  const knee = findKnee(steps);
  assert.equal(knee.found, false);
  assert.match(knee.found ? '' : knee.reason, /every step up to 300 req\/s was served well/);
  assert.equal(findBottleneck(steps, knee).resource, 'none');
  const broken = findKnee([step(100, { errorRate: 0.5 }), step(200)]);
  assert.match(broken.found ? '' : broken.reason, /the first step \(100 req\/s\) already broke/);
});

test('a break with no watched resource past its threshold is reported as unattributed, with the fullest one', () => {
  const steps = [step(100), step(200, { errorRate: 0.3 }, { processCpuCores: 0.7 })];
  const b = findBottleneck(steps, findKnee(steps));
  assert.equal(b.resource, 'unattributed (closest: cpu: the orderflow process (its event-loop thread))');
  assert.equal(b.stepIndex, null);
});

test('steps go 1x..10x of the baseline, or evenly up to --max-rate, never fewer than 5', () => {
  assert.deepEqual(planRates(50), [50, 100, 150, 200, 250, 300, 350, 400, 450, 500]);
  assert.deepEqual(planRates(50, 300), [50, 100, 150, 200, 250, 300]);
  assert.deepEqual(planRates(50, 120), [24, 48, 72, 96, 120]);
  assert.deepEqual(planRates(50, 10_000), planRates(50));
  assert.deepEqual(planRates(4.4), [4.4, 8.8, 13.2, 17.6, 22, 26.4, 30.8, 35.2, 39.6, 44]);
  assert.deepEqual(planRates(10, undefined, 6), [10, 20, 30, 40, 50, 60]);
});

test('a machine already full at the first step is a caveat, not the bottleneck', () => {
  const steps = [step(100, {}, { machineCpuBusy: 0.97 }), step(200, {}, { machineCpuBusy: 0.98, processCpuCores: 0.95 }), step(300, { errorRate: 0.2 }, { machineCpuBusy: 0.99, processCpuCores: 1 })];
  const b = findBottleneck(steps, findKnee(steps));
  assert.equal(b.resource, 'cpu: the orderflow process (its event-loop thread)');
  assert.equal(b.caveats.length, 1);
  assert.match(b.caveats[0]!, /already 97 % busy at the first step/);
  const quietStart = [step(100), step(200, {}, { machineCpuBusy: 0.97 }), step(300, { errorRate: 0.2 })];
  assert.equal(findBottleneck(quietStart, findKnee(quietStart)).resource, 'machine: all CPUs (orderflow, the load generator and everything else on it)');
});
