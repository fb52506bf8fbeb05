import type { Scenario } from '../scenarios.ts';
import { measureOrders, openSession, type OrdersMeasurement } from '../lib/orders-load.ts';
import { fmt, ms, pct, table } from '../lib/table.ts';
import type { IntakeResult } from './intake.ts';
import type { Benchmark } from './types.ts';

export interface SteadyResult {
  readonly scenario: Scenario;
  /** Where the offered rate came from. */
  readonly rateSource: 'flag' | 'intake-median' | 'calibration';
  /** End-to-end rate the offered rate is derived from (NaN when given by flag). */
  readonly e2eReference: number;
  readonly offeredPerS: number;
  /** Connections used (the tier's). */
  readonly connections: number;
  /** The calibration run, when no earlier intake result or --rate was available. */
  readonly calibration?: OrdersMeasurement;
  readonly measurement: OrdersMeasurement;
  /** Every order final within steadyMaxLagMs of the load's end (the pipeline keeps pace with intake). */
  readonly keepsUp: boolean;
}

export const steady: Benchmark<SteadyResult> = {
  name: 'steady',
  description: 'POST /v1/orders at a fixed overall rate near the measured e2e rate: does the pipeline keep up?',

  async run(ctx) {
    const s = ctx.scenario;
    const session = await openSession();
    try {
      const drain = { drainTimeoutS: s.drainTimeoutS, drainPollMs: s.drainPollMs };
      const fromIntake = (ctx.earlier.get('intake') as IntakeResult | undefined)?.median.e2ePerS;
      let rateSource: SteadyResult['rateSource'];
      let e2eReference = NaN;
      let calibration: OrdersMeasurement | undefined;
      if (ctx.rate !== undefined) {
        rateSource = 'flag';
      } else if (fromIntake !== undefined && Number.isFinite(fromIntake)) {
        rateSource = 'intake-median';
        e2eReference = fromIntake;
      } else {
        rateSource = 'calibration';
        ctx.log(`steady: calibrating with a ${s.durationS} s flat-out run`);
        calibration = await measureOrders(session, { connections: s.connections, durationS: s.durationS, ...drain });
        e2eReference = calibration.e2e.perS;
        if (!Number.isFinite(e2eReference)) throw new Error('steady: calibration run did not drain; no rate to offer');
      }
      const offeredPerS = Math.max(1, Math.round(ctx.rate ?? e2eReference * s.steadyRateFactor));
      ctx.log(`steady: ${s.durationS} s at ${offeredPerS} orders/s (${rateSource})`);
      // autocannon paces per connection per second, one request in flight each. More connections
      // than the tier's were tried (one per req/s): bigger bursts at each second, worse p99, no
      // more accepted — so the tier's connections stay, and a shortfall is reported.
      const connections = s.connections;
      const measurement = await measureOrders(session, { connections, durationS: s.durationS, overallRate: offeredPerS, ...drain });
      const e = measurement.e2e;
      const keepsUp = e.drained && e.tailS * 1000 <= s.steadyMaxLagMs;
      return { scenario: s, rateSource, e2eReference, offeredPerS, connections, ...(calibration ? { calibration } : {}), measurement, keepsUp };
    } finally {
      await session.close();
    }
  },

  report(r) {
    const m = r.measurement;
    const reference =
      r.rateSource === 'flag' ? 'given by --rate' : `${r.scenario.steadyRateFactor} × e2e ${fmt(r.e2eReference)}/s (${r.rateSource})`;
    const rows = [
      [
        fmt(r.offeredPerS),
        fmt(m.intake.okPerS),
        ms(m.intake.latencyMs.p50),
        ms(m.intake.latencyMs.p99),
        fmt(m.intake.non2xx + m.intake.errors),
        m.e2e.drained ? fmt(m.e2e.perS) : 'did not drain',
        fmt(m.e2e.tailS, 2),
        pct(m.cpuLoad.loadGenPct),
        pct(m.cpuLoad.serverPct),
      ],
    ];
    return [
      `steady: POST /v1/orders at a fixed rate, ${r.scenario.durationS} s, ${r.connections} connections; rate = ${reference}`,
      '',
      table(['offered/s', '202/s', 'p50 ms', 'p99 ms', 'non-2xx+err', 'e2e final/s', 'tail s', 'cpu loadgen', 'cpu server'], rows),
      '',
      `keeps up: ${r.keepsUp ? 'YES' : 'NO'} (every accepted order final within ${r.scenario.steadyMaxLagMs} ms of the load's end)`,
      ...(m.intake.okPerS < 0.95 * r.offeredPerS
        ? [`  warning: only ${fmt((m.intake.okPerS / r.offeredPerS) * 100)}% of the offered rate was accepted (see non-2xx, or intake is the limit)`]
        : []),
      '  note: autocannon paces per connection per second, so requests come in bursts at each second boundary',
    ].join('\n');
  },
};
