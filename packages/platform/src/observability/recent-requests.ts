/** One second of the live series the dashboard draws. */
export interface SecondSample {
  /** Epoch ms of the second's start. */
  t: number;
  requests: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface RecentRequests {
  record(durationMs: number): void;
  /** Complete seconds, oldest first, at most `keepSeconds`. */
  series(): SecondSample[];
}

function pick(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!;
}

/**
 * Request durations bucketed per second for live throughput and percentiles. Each second keeps
 * at most `maxPerSecond` (default 5000) durations for its percentiles (a reservoir past that);
 * the count stays exact.
 */
export function createRecentRequests(opts: { keepSeconds?: number; maxPerSecond?: number } = {}): RecentRequests {
  const keep = opts.keepSeconds ?? 300;
  const cap = opts.maxPerSecond ?? 5000;
  const done: SecondSample[] = [];
  let second = Math.floor(Date.now() / 1000);
  let count = 0;
  let values: number[] = [];

  const roll = (now: number) => {
    const current = Math.floor(now / 1000);
    if (current === second) return;
    const sorted = values.sort((a, b) => a - b);
    done.push({ t: second * 1000, requests: count, p50Ms: pick(sorted, 0.5), p95Ms: pick(sorted, 0.95), p99Ms: pick(sorted, 0.99) });
    // Seconds with no request at all still count: a gap is information.
    for (let s = second + 1; s < current && s > current - keep; s++) done.push({ t: s * 1000, requests: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 });
    while (done.length > keep) done.shift();
    second = current;
    count = 0;
    values = [];
  };

  return {
    record(ms) {
      roll(Date.now());
      count += 1;
      if (values.length < cap) values.push(ms);
      else {
        const i = Math.floor(Math.random() * count);
        if (i < cap) values[i] = ms;
      }
    },
    series() {
      roll(Date.now());
      return done.slice();
    },
  };
}
