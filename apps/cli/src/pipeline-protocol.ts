import type { DependencyStats, MetricsSnapshot } from '@orderflow/platform';

/** What the edge thread tells the pipeline worker. */
export type ToPipeline =
  /** Commits on the edge may have written outbox rows of these services: wake their relays. */
  | { t: 'commits'; services: string[] }
  | { t: 'call'; id: number; method: 'metrics' | 'resilience' }
  /** The edge listens: start the consumers and relays (answered with `consuming`). */
  | { t: 'consume' }
  /** Graceful stop: drain the consumers, publish the outbox, close. */
  | { t: 'stop' };

/** What the pipeline worker tells the edge thread. */
export type ToEdge =
  | { t: 'ready'; paymentUrl: string; simulator: boolean }
  | { t: 'log'; lines: string }
  | { t: 'result'; id: number; value?: MetricsSnapshot | DependencyStats[]; error?: string }
  | { t: 'consuming' }
  | { t: 'stopped' }
  | { t: 'failed'; error: string };
