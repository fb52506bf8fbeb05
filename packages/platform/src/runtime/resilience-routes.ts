import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { requireAdmin } from '../http/auth.ts';
import type { ResilienceKit } from '../resilience/resilience-kit.ts';

/** `GET /v1/admin/resilience`: each outside dependency's breaker state, bulkhead use and counters. */
export function registerResilienceRoutes(app: FastifyInstance, deps: { kit: ResilienceKit; adminKey: string; shed: () => Record<string, number> }): void {
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
    dependencies: deps.kit.stats(),
    shed: deps.shed(),
  }));
}
