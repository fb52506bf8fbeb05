import { orderBody, targets } from '../scenarios.ts';
import { startBare } from '../lib/bare.ts';
import { startNode } from '../lib/child.ts';
import { runLoad } from '../lib/load.ts';
import { median, ratio } from '../lib/stats.ts';
import { fmt, ms, ratioText, table } from '../lib/table.ts';
import type { Benchmark } from './types.ts';

const SIDES = ['bare', 'fastify', 'fastify-sqlite', 'fastify-sqlite-group'] as const;
type Side = (typeof SIDES)[number];

interface SideRun {
  readonly okPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface FloorResult {
  readonly connections: number;
  readonly durationS: number;
  readonly runs: ReadonlyArray<Readonly<Record<Side, SideRun>>>;
  /** Medians of per-run ratios over bare. */
  readonly overBare: Readonly<Record<Exclude<Side, 'bare'>, number>>;
}

async function startSide(side: Side): Promise<{ url: string; stop(): Promise<void> }> {
  if (side === 'bare') {
    const b = await startBare();
    return { url: b.url, stop: () => b.child.stop() };
  }
  const { child, value } = await startNode({
    label: `floor ${side}`,
    args: ['bench/floor-server.ts'],
    env: { FLOOR_MODE: side },
    ready: (line) => (line.msg === 'floor started' && typeof line.url === 'string' ? line.url : undefined),
    readyTimeoutMs: 15_000,
  });
  return { url: value, stop: () => child.stop() };
}

/**
 * How far a durable intake can get on this machine before any of orderflow's own code: the bare
 * node:http baseline, fastify with schema validation, and fastify plus the one SQLite transaction
 * an accepted order needs (order, idempotency record, outbox row). Same body, same generator,
 * interleaved runs. Read beside `intake`: it bounds what the intake/bare target can be here.
 */
export const floor: Benchmark<FloorResult> = {
  name: 'floor',
  description: 'bare node:http vs fastify vs fastify + the SQLite write an accepted order needs, one transaction each or grouped (the floor under intake)',

  async run(ctx) {
    const s = ctx.scenario;
    const runs: Array<Record<Side, SideRun>> = [];
    for (let i = 1; i <= s.runs; i++) {
      const run = {} as Record<Side, SideRun>;
      for (const side of SIDES) {
        const server = await startSide(side);
        try {
          const load = (durationS: number) =>
            runLoad({ url: server.url, path: '/v1/orders', connections: s.connections, durationS, body: orderBody, uniqueHeader: 'Idempotency-Key', okStatus: 202 });
          if (s.warmupS > 0) await load(s.warmupS);
          const r = await load(s.durationS);
          run[side] = { okPerS: r.okPerS, p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99 };
          ctx.log(`floor run ${i}/${s.runs}: ${side} ${fmt(r.okPerS)} req/s`);
        } finally {
          await server.stop();
        }
      }
      runs.push(run);
    }
    const over = (side: Exclude<Side, 'bare'>) => median(runs.map((r) => ratio(r[side].okPerS, r.bare.okPerS)));
    return {
      connections: s.connections,
      durationS: s.durationS,
      runs,
      overBare: { fastify: over('fastify'), 'fastify-sqlite': over('fastify-sqlite'), 'fastify-sqlite-group': over('fastify-sqlite-group') },
    };
  },

  report(r) {
    const rows = SIDES.map((side) => {
      const rates = r.runs.map((run) => run[side].okPerS);
      return [
        side,
        fmt(median(rates)),
        ms(median(r.runs.map((run) => run[side].p50Ms))),
        ms(median(r.runs.map((run) => run[side].p99Ms))),
        side === 'bare' ? '1' : ratioText(r.overBare[side]),
      ];
    });
    return [
      `floor: POST /v1/orders, ${r.connections} connections, ${r.durationS} s per side, ${r.runs.length} interleaved run(s); medians`,
      '',
      table(['server', '202/s', 'p50 ms', 'p99 ms', '/ bare'], rows),
      '',
      `fastify + the order's SQLite transaction (one per order, or grouped) is the most a durable intake can reach`,
      `here, before authentication, idempotency checks, logs, metrics, traces and the pipeline; the intake target is ${targets.intakeOverBare} of bare.`,
    ].join('\n');
  },
};
