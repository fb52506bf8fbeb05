import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

/** One closed-model (or rate-limited) load run against one endpoint. */
export interface LoadOptions {
  /** Base URL, e.g. http://127.0.0.1:1234 (load goes to 127.0.0.1 only). */
  readonly url: string;
  readonly path: string;
  readonly method?: 'POST' | 'GET';
  readonly connections: number;
  readonly durationS: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Send this header with a value unique per request (e.g. Idempotency-Key). */
  readonly uniqueHeader?: string;
  /** Open-ish model: cap the overall request rate (req/s) instead of going flat out. */
  readonly overallRate?: number;
  /** Request these paths in turn instead of `path` (e.g. many order ids). */
  readonly paths?: readonly string[];
  /** The status that counts as success for `okPerS`. Default 202. */
  readonly okStatus?: number;
}

/** What one load run measured; latencies in ms, over 2xx responses only. */
export interface LoadResult {
  /** Wall clock (epoch ms) just before the first request and after the last response. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly durationS: number;
  readonly responses: number;
  /** Responses with `okStatus`. */
  readonly ok: number;
  readonly okPerS: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  readonly non2xx: number;
  /** Count per HTTP status, e.g. { "202": 51234, "503": 12 }. */
  readonly statusCounts: Readonly<Record<string, number>>;
  /** Connection errors and timeouts (no HTTP response at all). */
  readonly errors: number;
  readonly timeouts: number;
}

let runSeq = 0;

/**
 * Runs autocannon in this process. Resolves when the run ends; a watchdog stops it if it
 * overruns its duration by 30 s. Throws only when autocannon cannot start.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const okStatus = opts.okStatus ?? 202;
  const requests: autocannon.Request[] = [];
  if (opts.uniqueHeader !== undefined) {
    const header = opts.uniqueHeader;
    // Unique across runs in this process and across processes (random prefix).
    const prefix = `bench-${randomBytes(4).toString('hex')}-${++runSeq}-`;
    let counter = 0;
    requests.push({
      setupRequest: (req) => {
        req.headers = { ...req.headers, [header]: prefix + (++counter).toString(36) };
        return req;
      },
    });
  }

  if (opts.paths !== undefined && opts.paths.length > 0) {
    const paths = opts.paths;
    let next = 0;
    requests.push({
      setupRequest: (req) => {
        req.path = paths[next++ % paths.length]!;
        return req;
      },
    });
  }

  const options: autocannon.Options = {
    url: new URL(opts.path, opts.url).toString(),
    method: opts.method ?? 'POST',
    connections: opts.connections,
    duration: opts.durationS,
    headers: { ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    // Latency of successful responses only: a fast 503 must not flatter the percentiles.
    excludeErrorStats: true,
    timeout: 10,
  };
  if (opts.body !== undefined) options.body = opts.body;
  if (requests.length > 0) options.requests = requests;
  if (opts.overallRate !== undefined) {
    options.overallRate = Math.max(1, Math.round(opts.overallRate));
    // With a rate set, autocannon "corrects" for coordinated omission with an expected interval of
    // ceil(1 / rate) = 1 ms, filling the histogram with made-up values from each latency down to
    // 1 ms: a steady 22 ms reads as p50 11 ms. The raw latencies are the true ones here.
    options.ignoreCoordinatedOmission = true;
  }

  const startedAt = Date.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    let watchdog: NodeJS.Timeout | undefined;
    const instance = autocannon(options, (err, res) => {
      clearTimeout(watchdog);
      if (err) reject(err);
      else resolve(res);
    });
    watchdog = setTimeout(() => instance.stop(), (opts.durationS + 30) * 1000);
  });
  const finishedAt = Date.now();

  const statusCounts: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) statusCounts[status] = Number(count);
  const ok = statusCounts[String(okStatus)] ?? 0;
  const durationS = result.duration > 0 ? result.duration : (finishedAt - startedAt) / 1000;
  return {
    startedAt,
    finishedAt,
    durationS,
    responses: Object.values(statusCounts).reduce((a, b) => a + b, 0),
    ok,
    okPerS: ok / durationS,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean ?? result.latency.average,
    },
    non2xx: result.non2xx,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
