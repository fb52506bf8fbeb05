import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { requireAdmin } from '../http/auth.ts';
import type { DependencyStats } from '../resilience/dependency-policy.ts';

/** `GET /v1/admin/resilience`: each outside dependency's breaker state, bulkhead use and counters. */
export function registerResilienceRoutes(app: FastifyInstance, deps: { stats: () => Promise<DependencyStats[]>; adminKey: string; shed: () => Record<string, number> }): void {
  app.get('/v1/admin/resilience', { preHandler: requireAdmin(deps.adminKey), schema: {
        tags: ['admin'],
        response: {
          200: Type.Object({
            dependencies: Type.Array(
              Type.Object({
                dependency: Type.String(),
                breaker: Type.String(),
                inFlight: Type.Integer(),
                queued: Type.Integer(),
                calls: Type.Integer(),
                failures: Type.Integer(),
                retries: Type.Integer(),
                timeouts: Type.Integer(),
                bulkheadRejected: Type.Integer(),
                circuitRejected: Type.Integer(),
                breakerOpened: Type.Integer(),
              }),
            ),
            shed: Type.Record(Type.String(), Type.Integer()),
          }),
        },
      },
    }, async () => ({
    dependencies: await deps.stats(),
    shed: deps.shed(),
  }));
}

const BREAKER_RANK: Record<string, number> = { closed: 0, half_open: 1, open: 2, isolated: 3 };

/**
 * The stats of two kits (the two threads of a split embedded system) as one list: a dependency
 * both use has its counters summed and the worse breaker state of the two.
 */
export function mergeResilienceStats(a: readonly DependencyStats[], b: readonly DependencyStats[]): DependencyStats[] {
  const out = new Map<string, DependencyStats>();
  for (const s of [...a, ...b]) {
    const seen = out.get(s.dependency);
    if (!seen) {
      out.set(s.dependency, { ...s });
      continue;
    }
    const merged = { ...seen } as Record<string, unknown>;
    for (const [k, v] of Object.entries(s)) if (typeof v === 'number') merged[k] = ((seen as unknown as Record<string, number>)[k] ?? 0) + v;
    merged.breaker = (BREAKER_RANK[s.breaker] ?? 0) > (BREAKER_RANK[seen.breaker] ?? 0) ? s.breaker : seen.breaker;
    out.set(s.dependency, merged as unknown as DependencyStats);
  }
  return [...out.values()];
}
