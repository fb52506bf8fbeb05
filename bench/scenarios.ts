/**
 * Benchmark tiers and request shapes as named data, so the runner, CI and later benchmarks
 * share one source. A tier fixes how long and how often; flags may override single fields.
 */

/** One load profile. All times in seconds unless the name says otherwise. */
export interface Scenario {
  readonly name: TierName;
  /** Measured load per run, for the bare server and for orderflow alike. */
  readonly durationS: number;
  /** Runs of each benchmark, interleaved bare/orderflow so drift hits both. */
  readonly runs: number;
  /** Concurrent keep-alive connections of the closed-model load. */
  readonly connections: number;
  /** Unmeasured load before each measured run (same for both sides); 0 = none. */
  readonly warmupS: number;
  /** Longest wait for every accepted order to become final before reporting "did not drain". */
  readonly drainTimeoutS: number;
  /** How often the orders database is polled while draining. */
  readonly drainPollMs: number;
  /** Steady run: offered rate as a fraction of the measured end-to-end rate. */
  readonly steadyRateFactor: number;
  /** Steady run: the backlog must be gone this soon after the load stops to count as keeping up. */
  readonly steadyMaxLagMs: number;
}

export type TierName = 'smoke' | 'ci' | 'default';

/** A quick "does it work" check: seconds, not minutes. */
export const smoke: Scenario = {
  name: 'smoke',
  durationS: 2,
  runs: 1,
  connections: 32,
  warmupS: 0,
  drainTimeoutS: 60,
  drainPollMs: 200,
  steadyRateFactor: 0.9,
  steadyMaxLagMs: 1000,
};

/** Short enough for a CI job, two runs so one outlier shows. */
export const ci: Scenario = { ...smoke, name: 'ci', durationS: 4, runs: 2, warmupS: 1, drainTimeoutS: 90 };

/** The figures quoted in docs: median of three 8 s runs. */
export const defaultTier: Scenario = { ...smoke, name: 'default', durationS: 8, runs: 3, warmupS: 1, drainTimeoutS: 120 };

export const tiers: Readonly<Record<TierName, Scenario>> = { smoke, ci, default: defaultTier };

/** Targets the report judges against (ratios measured within one run). */
export const targets = {
  /** accepted orders/s over bare node:http req/s */
  intakeOverBare: 0.5,
  /** finished orders/s over accepted orders/s */
  e2eOverIntake: 0.5,
} as const;

/** The fixture the orderflow benchmarks create through the public API. */
export const fixture = {
  adminKey: 'bench-admin',
  sku: 'bench-sku',
  customer: { email: 'bench@example.com', name: 'Bench Customer' },
  product: { name: 'Bench product', priceCents: 1000, currency: 'eur', stock: 1_000_000_000 },
} as const;

/** The order body, sent byte-identical to the bare server and to orderflow. */
export const orderBody = JSON.stringify({
  items: [{ sku: fixture.sku, quantity: 1 }],
  paymentMethod: 'pm_card_visa',
});

/** Order statuses that end an order's life. */
export const finalStatuses = ['confirmed', 'cancelled'] as const;
