import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacitySpec, renderChart } from './chart.ts';
import type { CapacityStep } from './analysis.ts';

test('the capacity chart renders to SVG and PNG with the knee marked', async () => {
  const steps = [100, 200, 300].map((rate, i) => ({ offeredRate: rate, throughput: i === 2 ? 240 : rate, p50Ms: 2 + i, p99Ms: i === 2 ? 800 : 10 }) as CapacityStep);
  const spec = capacitySpec(steps, { found: true, stepIndex: 1, offeredRate: 200, throughput: 200, p99Ms: 10, brokeAt: { stepIndex: 2, offeredRate: 300, reasons: [] } }, 'test chart');
  const { svg, png } = await renderChart(spec);
  assert.match(svg, /^<svg/);
  assert.match(svg, /knee 200 req\/s/);
  assert.match(svg, /p99 ms/);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 5_000);
});
