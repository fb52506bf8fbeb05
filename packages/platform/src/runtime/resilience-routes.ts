import type { FastifyInstance } from 'fastify';
import { requireAdmin } from '../http/auth.ts';
import type { ResilienceKit } from '../resilience/resilience-kit.ts';

/** `GET /v1/admin/resilience`: each outside dependency's breaker state, bulkhead use and counters. */
export function registerResilienceRoutes(app: FastifyInstance, deps: { kit: ResilienceKit; adminKey: string; shed: () => Record<string, number> }): void {
  app.get('/v1/admin/resilience', { preHandler: requireAdmin(deps.adminKey), schema: { tags: ['admin'] } }, async () => ({
    dependencies: deps.kit.stats(),
    shed: deps.shed(),
  }));
}
