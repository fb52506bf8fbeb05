import type SQLite from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, isAdminKey } from '../http/auth.ts';
import { platformErrors } from '../errors.ts';
import { toProblem } from '../http/problem.ts';
import type { Metrics } from './metrics.ts';
import { slowRequests, type SlowRequest } from './span-queries.ts';
import type { SecondSample } from './recent-requests.ts';
import { DASHBOARD_HTML } from './dashboard-page.ts';

export interface ObservabilityRouteDeps {
  metrics: Metrics;
  adminKey: string;
  /** The local span store; without it the dashboard shows no slowest requests. */
  spanDb?: SQLite.Database | undefined;
}

/** The admin key as a Bearer token, or as the password of HTTP Basic (what a browser sends). */
function isAdmin(req: FastifyRequest, adminKey: string): boolean {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    return isAdminKey(decoded.slice(decoded.indexOf(':') + 1), adminKey);
  }
  return isAdminKey(bearerToken(req), adminKey);
}

async function denied(req: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(platformErrors.create('UNAUTHENTICATED', 'The dashboard needs the admin key (as the Basic password or a Bearer token)'), req.url);
  return reply.status(401).header('www-authenticate', 'Basic realm="orderflow dashboard", charset="UTF-8"').type('application/problem+json').send(problem);
}

type Values = Array<{ labels: Record<string, string | number>; value: number }>;

function gauge(snapshot: Awaited<ReturnType<Metrics['snapshot']>>, name: string): Values {
  return (snapshot.find((m) => m.name === name)?.values ?? []) as Values;
}

/** What the dashboard page polls from `/dashboard/data`. */
export interface DashboardData {
  now: number;
  series: SecondSample[];
  ordersByStatus: Record<string, number>;
  outbox: Array<{ service: string; pending: number; oldestAgeS: number }>;
  consumers: Array<{ consumer: string; lag: number; dead: number }>;
  /** State per dependency: 0 closed, 1 half-open, 2 open. */
  breakers: Array<{ dependency: string; state: number }>;
  slowest: SlowRequest[];
}

/** What the dashboard page polls: live series, gauges and the slowest requests of the last 15 minutes. */
export async function dashboardData(deps: ObservabilityRouteDeps): Promise<DashboardData> {
  const snapshot = await deps.metrics.snapshot();
  const [pending, age, lag, dead, breakers] = ['orderflow_outbox_pending', 'orderflow_outbox_oldest_age_seconds', 'orderflow_consumer_lag_messages', 'orderflow_dead_letters', 'orderflow_circuit_breaker_state'].map((n) => gauge(snapshot, n));
  const report = deps.spanDb ? slowRequests(deps.spanDb, { sinceMs: Date.now() - 15 * 60_000, limit: 8, scanLimit: 50_000 }) : undefined;
  return {
    now: Date.now(),
    series: deps.metrics.recent.series().slice(-120),
    ordersByStatus: await deps.metrics.ordersByStatus(),
    outbox: pending!.map((p) => ({ service: String(p.labels.service), pending: p.value, oldestAgeS: age!.find((a) => a.labels.service === p.labels.service)?.value ?? 0 })),
    consumers: lag!.map((l) => ({ consumer: String(l.labels.consumer), lag: l.value, dead: dead!.find((d) => d.labels.consumer === l.labels.consumer)?.value ?? 0 })),
    breakers: breakers!.map((b) => ({ dependency: String(b.labels.dependency), state: b.value })),
    slowest: report?.slowest ?? [],
  };
}

/** `/metrics` (Prometheus text, open like a health check) and the admin dashboard at `/dashboard`. */
export function registerObservabilityRoutes(app: FastifyInstance, deps: ObservabilityRouteDeps): void {
  const hide = { hide: true } as object;
  app.get('/metrics', { schema: hide }, async (_req, reply) => {
    const text = await deps.metrics.text();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
  app.get('/dashboard', { schema: hide }, async (req, reply) => {
    if (!isAdmin(req, deps.adminKey)) return denied(req, reply);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(DASHBOARD_HTML);
  });
  app.get('/dashboard/data', { schema: hide }, async (req, reply) => {
    if (!isAdmin(req, deps.adminKey)) return denied(req, reply);
    return reply.header('cache-control', 'no-store').send(await dashboardData(deps));
  });
}
