import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Broker } from '../broker/broker.ts';
import { requireAdmin } from '../http/auth.ts';
import { platformErrors } from '../errors.ts';

const DeadLetterView = Type.Object({
  id: Type.String(),
  consumer: Type.String(),
  messageId: Type.String(),
  subject: Type.String(),
  type: Type.String(),
  key: Type.String(),
  attempts: Type.Integer(),
  lastError: Type.String(),
  deadAt: Type.String(),
  data: Type.Unknown(),
});
const DeadLetterList = Type.Object({ items: Type.Array(DeadLetterView) });
const Replayed = Type.Object({ id: Type.String(), status: Type.Literal('replayed') });

/** Dead letters over the admin API: list, and put one back for delivery. */
export function registerAdminRoutes(app: FastifyInstance, deps: { broker: Broker; adminKey: string }): void {
  const preHandler = requireAdmin(deps.adminKey);
  app.get(
    '/v1/admin/dead-letters',
    {
      preHandler,
      schema: {
        tags: ['admin'],
        querystring: Type.Object(
          { consumer: Type.Optional(Type.String({ maxLength: 100 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
          { additionalProperties: false },
        ),
        response: { 200: DeadLetterList },
      },
    },
    async (req) => {
      const q = req.query as { consumer?: string; limit?: number };
      return { items: await deps.broker.deadLetters.list(q) };
    },
  );
  app.post(
    '/v1/admin/dead-letters/:id/replay',
    {
      preHandler,
      schema: { tags: ['admin'], params: Type.Object({ id: Type.String({ maxLength: 200 }) }), response: { 202: Replayed } },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!(await deps.broker.deadLetters.replay(id))) throw platformErrors.create('NOT_FOUND', `No dead letter ${id}`);
      return reply.status(202).send({ id, status: 'replayed' });
    },
  );
}
