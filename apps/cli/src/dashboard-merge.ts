import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { platformErrors, toProblem, type DashboardData } from '@orderflow/platform';

/** The cluster's dashboard data: every instance's, merged, and how many instances it covers. */
export type ClusterDashboardData = DashboardData & { instances: { answered: number; total: number } };

const byKey = <T>(rows: readonly T[], key: (r: T) => string, merge: (a: T, b: T) => T): T[] => {
  const out = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const seen = out.get(k);
    out.set(k, seen ? merge(seen, r) : r);
  }
  return [...out.values()].sort((a, b) => key(a).localeCompare(key(b)));
};

/**
 * One dashboard from the answers of several instances.
 * - Requests per second are summed; a second's percentiles are the worst instance's (an upper
 *   bound: the instances' durations are not at hand). Seconds after the earliest instance's last
 *   complete second are left out, so the newest second is never a partial sum.
 * - Orders by status are summed: each instance counts the events its own relay published.
 * - Outbox rows, consumer lag and dead letters are the maximum: instances of one service read the
 *   same outbox table and the same durable consumer, so each reports the whole backlog.
 * - A breaker shows its worst state over the instances that call the dependency.
 * - The slowest requests come from one span store every instance writes: de-duplicated by trace.
 * @throws when `answers` is empty.
 */
export function mergeDashboardData(answers: readonly DashboardData[]): DashboardData {
  if (answers.length === 0) throw new Error('no dashboard data to merge');
  const lastSecond = Math.min(...answers.filter((a) => a.series.length > 0).map((a) => a.series.at(-1)!.t));
  const series = byKey(
    answers.flatMap((a) => a.series).filter((s) => s.t <= lastSecond),
    (s) => String(s.t).padStart(16, '0'),
    (a, b) => ({ t: a.t, requests: a.requests + b.requests, p50Ms: Math.max(a.p50Ms, b.p50Ms), p95Ms: Math.max(a.p95Ms, b.p95Ms), p99Ms: Math.max(a.p99Ms, b.p99Ms) }),
  ).slice(-120);
  const ordersByStatus: Record<string, number> = {};
  for (const a of answers) for (const [status, n] of Object.entries(a.ordersByStatus)) ordersByStatus[status] = (ordersByStatus[status] ?? 0) + n;
  const slowest = byKey(
    answers.flatMap((a) => a.slowest),
    (r) => r.traceId,
    (a, b) => (b.totalMs > a.totalMs ? b : a),
  )
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, Math.max(...answers.map((a) => a.slowest.length)));
  return {
    now: Math.max(...answers.map((a) => a.now)),
    series,
    ordersByStatus,
    outbox: byKey(
      answers.flatMap((a) => a.outbox),
      (o) => o.service,
      (a, b) => ({ service: a.service, pending: Math.max(a.pending, b.pending), oldestAgeS: Math.max(a.oldestAgeS, b.oldestAgeS) }),
    ),
    consumers: byKey(
      answers.flatMap((a) => a.consumers),
      (c) => c.consumer,
      (a, b) => ({ consumer: a.consumer, lag: Math.max(a.lag, b.lag), dead: Math.max(a.dead, b.dead) }),
    ),
    breakers: byKey(
      answers.flatMap((a) => a.breakers),
      (b) => b.dependency,
      (a, b) => ({ dependency: a.dependency, state: Math.max(a.state, b.state) }),
    ),
    slowest,
  };
}

type Answer = { kind: 'data'; data: DashboardData } | { kind: 'refused'; status: number; headers: Record<string, string>; body: string } | { kind: 'down' };

async function ask(port: number, authorization: string | undefined): Promise<Answer> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/dashboard/data`, { headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(2_000) });
    if (r.status === 401 || r.status === 403) {
      const headers: Record<string, string> = { 'content-type': r.headers.get('content-type') ?? 'application/problem+json' };
      const challenge = r.headers.get('www-authenticate');
      if (challenge) headers['www-authenticate'] = challenge;
      return { kind: 'refused', status: r.status, headers, body: await r.text() };
    }
    if (r.status !== 200) return { kind: 'down' };
    return { kind: 'data', data: (await r.json()) as DashboardData };
  } catch {
    // that instance is down, stopping or too slow: the others still answer for the cluster
    return { kind: 'down' };
  }
}

function problem(res: ServerResponse, req: IncomingMessage, code: 'NOT_READY', detail: string): void {
  const body = toProblem(platformErrors.create(code, detail), req.url);
  res.writeHead(body.status, { 'content-type': 'application/problem+json', 'retry-after': '1', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Serves `/dashboard/data` for the cluster's entry: each instance knows only its own service's
 * outbox, consumers and dependencies, so the entry's answer is merged from every instance
 * (`ports`). It checks no key itself: the client's Authorization header goes to every instance, and
 * if any refuses it, that refusal is the answer (fail closed); data is served only when no
 * instance refused and at least one answered (503 otherwise). Listens on a free loopback port.
 */
export async function startDashboardServer(ports: readonly number[]): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    void Promise.all(ports.map((p) => ask(p, req.headers.authorization))).then((answers) => {
      const refused = answers.find((a) => a.kind === 'refused');
      if (refused) {
        res.writeHead(refused.status, { ...refused.headers, 'cache-control': 'no-store' });
        res.end(refused.body);
        return;
      }
      const data = answers.flatMap((a) => (a.kind === 'data' ? [a.data] : []));
      if (data.length === 0) return problem(res, req, 'NOT_READY', 'No service instance answered for the dashboard');
      const body: ClusterDashboardData = { ...mergeDashboardData(data), instances: { answered: data.length, total: ports.length } };
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { port: typeof a === 'object' && a ? a.port : 0, server };
}
