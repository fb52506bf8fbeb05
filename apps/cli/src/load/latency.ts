import { build, type Histogram } from 'hdr-histogram-js';

/** Percentiles of one latency distribution, in milliseconds (microsecond resolution). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** An HDR histogram of latencies: 3 significant digits from 1 µs up to any value (auto-resizing). */
export interface LatencyRecorder {
  /** Records one latency in milliseconds; negative values count as 0. */
  record(ms: number): void;
  summary(): LatencySummary;
  /** Adds every value of `other` to this one. */
  merge(other: LatencyRecorder): void;
  /** The underlying histogram (for merging). */
  readonly histogram: Histogram;
}

/** A fresh recorder. */
export function createLatencyRecorder(): LatencyRecorder {
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const toMs = (us: number): number => us / 1000;
  return {
    histogram,
    record(ms) {
      histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    },
    summary() {
      if (histogram.totalCount === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
      return {
        count: histogram.totalCount,
        p50: toMs(histogram.getValueAtPercentile(50)),
        p90: toMs(histogram.getValueAtPercentile(90)),
        p99: toMs(histogram.getValueAtPercentile(99)),
        p999: toMs(histogram.getValueAtPercentile(99.9)),
        max: toMs(histogram.maxValue),
        mean: toMs(histogram.mean),
      };
    },
    merge(other) {
      histogram.add(other.histogram);
    },
  };
}
