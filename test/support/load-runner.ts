import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

/**
 * A load phase against `POST /v1/orders`: `closed` keeps `workers` requests in flight for
 * `durationMs` (a worker whose request was shed waits `pauseAfterShedMs` before the next); `ramp` is an open model, arrivals at a rate rising linearly from `fromRate` to
 * `toRate` per second over `durationMs`, each sent whether or not earlier ones were answered.
 */
export type LoadPhase = { kind: 'closed'; workers: number; durationMs: number; pauseAfterShedMs?: number } | { kind: 'ramp'; fromRate: number; toRate: number; durationMs: number };

export interface LoadSpec {
  url: string;
  apiKey: string;
  body: unknown;
  phase: LoadPhase;
}

/** One request: when it started (ms from the phase start), its status, its latency and the order id of a 202. */
export interface Sample {
  at: number;
  status: number;
  ms: number;
  retryAfter: string | null;
  id?: string;
}

export interface LoadResult {
  samples: Sample[];
  /** The load generator's own event-loop delay (ms): how far its timings can be trusted. */
  clientLoopP99Ms: number;
}

/**
 * Runs one phase in a child process, so the generator has an event loop of its own and the test's
 * bookkeeping never delays a request or its timing. undici's pool is far cheaper per request than
 * `fetch`, which matters when the generator shares two cores with the system under test.
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load runner exited with ${code}`))));
    child.stdin.end(JSON.stringify(spec));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const pool = new Pool(spec.url, { connections: spec.phase.kind === 'closed' ? spec.phase.workers : 512, keepAliveTimeout: 30_000 });
  const body = JSON.stringify(spec.body);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const t0 = performance.now();
  const one = async (): Promise<Sample> => {
    const start = performance.now();
    const r = await pool
      .request({
        method: 'POST',
        path: '/v1/orders',
        headers: { authorization: `Bearer ${spec.apiKey}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body,
      })
      .catch(() => undefined);
    // A connection error is a sample too (status 0): the test decides whether any is allowed.
    if (!r) return { at: start - t0, status: 0, ms: performance.now() - start, retryAfter: null };
    const text = await r.body.text();
    const s: Sample = { at: start - t0, status: r.statusCode, ms: performance.now() - start, retryAfter: (r.headers['retry-after'] as string | undefined) ?? null };
    if (r.statusCode === 202) s.id = (JSON.parse(text) as { id: string }).id;
    return s;
  };
  const samples: Sample[] = [];
  const p = spec.phase;
  if (p.kind === 'closed') {
    const end = t0 + p.durationMs;
    await Promise.all(
      Array.from({ length: p.workers }, async () => {
        while (performance.now() < end) {
          const s = await one();
          samples.push(s);
          if (s.status === 503 && p.pauseAfterShedMs) await sleep(p.pauseAfterShedMs);
        }
      }),
    );
  } else {
    const pending: Array<Promise<void>> = [];
    const seconds = p.durationMs / 1000;
    // Arrivals due by time t: the integral of the rate, fromRate*t + (toRate-fromRate)*t²/(2*seconds).
    const due = (t: number) => Math.floor(p.fromRate * t + ((p.toRate - p.fromRate) * t * t) / (2 * seconds));
    let sent = 0;
    for (;;) {
      const t = (performance.now() - t0) / 1000;
      if (t >= seconds) break;
      for (const n = due(t); sent < n; sent++) pending.push(one().then((s) => void samples.push(s)));
      await sleep(2);
    }
    await Promise.all(pending);
  }
  loop.disable();
  await pool.close();
  return { samples, clientLoopP99Ms: loop.percentile(99) / 1e6 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = '';
  process.stdin.setEncoding('utf8').on('data', (d: string) => (input += d));
  process.stdin.on('end', () => {
    generate(JSON.parse(input) as LoadSpec).then(
      (r) => process.stdout.write(JSON.stringify(r), () => process.exit(0)),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}
