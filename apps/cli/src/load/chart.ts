import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CapacityStep, Knee } from './analysis.ts';

/**
 * The capacity chart as a vega-lite spec: served and offered req/s (left axis) and p50/p99
 * latency (right axis, log scale) against offered load, with the knee marked.
 */
export function capacitySpec(steps: readonly CapacityStep[], knee: Knee, title: string): TopLevelSpec {
  const rows = steps.flatMap((s) => [
    { offered: s.offeredRate, series: 'served req/s', kind: 'rate', value: s.throughput },
    { offered: s.offeredRate, series: 'offered req/s', kind: 'rate', value: s.offeredRate },
    ...(Number.isFinite(s.p50Ms) ? [{ offered: s.offeredRate, series: 'p50 ms', kind: 'latency', value: Math.max(0.01, s.p50Ms) }] : []),
    ...(Number.isFinite(s.p99Ms) ? [{ offered: s.offeredRate, series: 'p99 ms', kind: 'latency', value: Math.max(0.01, s.p99Ms) }] : []),
  ]);
  const x = { field: 'offered', type: 'quantitative', title: 'offered load (req/s)' } as const;
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: ['offered req/s', 'served req/s', 'p50 ms', 'p99 ms'], range: ['#9ca3af', '#2563eb', '#f59e0b', '#dc2626'] },
  } as const;
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      transform: [{ filter: "datum.kind === 'rate'" }],
      mark: { type: 'line', point: true },
      encoding: { x, y: { field: 'value', type: 'quantitative', title: 'req/s' }, color, strokeDash: { condition: { test: "datum.series === 'offered req/s'", value: [4, 4] }, value: [1, 0] } },
    },
    {
      transform: [{ filter: "datum.kind === 'latency'" }],
      mark: { type: 'line', point: true },
      encoding: { x, y: { field: 'value', type: 'quantitative', title: 'latency ms (log)', scale: { type: 'log' }, axis: { orient: 'right' } }, color },
    },
  ];
  if (knee.found) {
    layers.push({
      data: { values: [{ offered: knee.offeredRate, label: `knee ${knee.offeredRate.toFixed(0)} req/s` }] },
      layer: [
        { mark: { type: 'rule', color: '#16a34a', strokeWidth: 2 }, encoding: { x: { field: 'offered', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#16a34a', y: 0 }, encoding: { x: { field: 'offered', type: 'quantitative' }, text: { field: 'label' } } },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 640,
    height: 320,
    background: 'white',
    data: { values: rows },
    layer: layers,
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Renders the spec to SVG (vega, headless) and to PNG (resvg, no native canvas). */
export async function renderChart(spec: TopLevelSpec): Promise<{ svg: string; png: Buffer }> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'width', value: 1400 } }).render().asPng();
  return { svg, png };
}
