import type { Scenario } from '../scenarios.ts';

/** What every benchmark gets: the chosen tier (with flag overrides) and what ran before it. */
export interface BenchContext {
  readonly scenario: Scenario;
  /** Results of benchmarks that already ran in this invocation, by name. */
  readonly earlier: ReadonlyMap<string, unknown>;
  /** Explicit offered rate for rate-driven benchmarks (--rate). */
  readonly rate: number | undefined;
  /** When set (--profile), orderflow children run under --cpu-prof writing into this dir. */
  readonly profileDir: string | undefined;
  /** Progress line to stderr. */
  log(message: string): void;
}

/** A named benchmark the runner can select (`npm run bench -- <name>`). */
export interface Benchmark<R = unknown> {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<R>;
  /** Human-readable report of a result, printed to stdout. */
  report(result: R): string;
}
