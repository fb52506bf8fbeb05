import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { requireAdmin, uuidv7, type Database } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import { generateApiKey } from './api-keys.ts';
import { createAuthenticate, ownerFilter } from './authenticate.ts';
import { checkIdempotencyKey, createIntake } from './intake.ts';
import { toView } from './repository.ts';
import { applyToOrder } from './apply.ts';
import { orderErrors } from './errors.ts';
import {
  CreateCustomerBody,
  CustomerCreated,
  ListQuery,
  OrderIdParams,
  OrderList,
  OrderView,
  PlaceOrderBody,
  PlaceOrderHeaders,
} from './http-schemas.ts';

export interface OrdersRouteDeps {
  db: Database<OrdersDb>;
  adminKey: string;
  pepper: string;
}

export function registerOrdersRoutes(app: FastifyInstance, deps: OrdersRouteDeps): void {
  const { db } = deps;
  const placeOrder = createIntake(db);

  const authenticate = createAuthenticate({ db: db.db, adminKey: deps.adminKey, pepper: deps.pepper });

  app.post(
    '/v1/customers',
    { preHandler: requireAdmin(deps.adminKey), schema: { tags: ['customers'], body: CreateCustomerBody, response: { 201: CustomerCreated } } },
    async (req, reply) => {
      const body = req.body as Static<typeof CreateCustomerBody>;
      const email = body.email.toLowerCase();
      const id = uuidv7();
      const key = generateApiKey(deps.pepper);
      const now = new Date().toISOString();
      const created = await db.transaction(async (trx) => {
        const taken = await trx.selectFrom('customers').select('id').where('email', '=', email).executeTakeFirst();
        if (taken) return false;
        await trx.insertInto('customers').values({ id, email, name: body.name, created_at: now }).execute();
        await trx.insertInto('api_keys').values({ id: key.id, customer_id: id, hash: key.hash, created_at: now, revoked_at: null }).execute();
        return true;
      });
      if (!created) throw orderErrors.create('CUSTOMER_EMAIL_TAKEN', `A customer with email ${email} exists`);
      return reply.status(201).header('location', `/v1/customers/${id}`).send({ id, email, name: body.name, apiKey: key.key, keyId: key.id });
    },
  );

  app.post(
    '/v1/orders',
    { preHandler: authenticate, schema: { tags: ['orders'], headers: PlaceOrderHeaders, body: PlaceOrderBody, response: { 202: OrderView } } },
    async (req, reply) => {
      const p = req.principal!;
      if (p.role !== 'customer') throw orderErrors.create('CUSTOMER_KEY_REQUIRED', 'Orders are placed with a customer key; the customer comes from the key');
      const key = checkIdempotencyKey(req.headers['idempotency-key']);
      const r = await placeOrder(p.customerId, key, req.body as Static<typeof PlaceOrderBody>);
      const id = (r.body as { id: string }).id;
      if (r.replayed) reply.header('idempotent-replayed', 'true');
      req.log.info({ order_id: id, customer_id: p.customerId, replayed: r.replayed }, 'order accepted');
      return reply.status(r.statusCode as 202).header('location', `/v1/orders/${id}`).send(r.body);
    },
  );

  app.get(
    '/v1/orders/:id',
    { preHandler: authenticate, schema: { tags: ['orders'], params: OrderIdParams, response: { 200: OrderView } } },
    async (req) => {
      const { id } = req.params as Static<typeof OrderIdParams>;
      let q = db.db.selectFrom('orders').selectAll().where('id', '=', id);
      const owner = ownerFilter(req.principal!);
      if (owner) q = q.where('customer_id', '=', owner);
      const row = await q.executeTakeFirst();
      // Another customer's order is "not found": a 403 would confirm it exists.
      if (!row) throw orderErrors.create('ORDER_NOT_FOUND', `No order ${id}`);
      return toView(row);
    },
  );

  app.get(
    '/v1/orders',
    { preHandler: authenticate, schema: { tags: ['orders'], querystring: ListQuery, response: { 200: OrderList } } },
    async (req) => {
      const query = req.query as Static<typeof ListQuery>;
      const limit = query.limit ?? 20;
      let q = db.db.selectFrom('orders').selectAll().orderBy('id', 'desc').limit(limit + 1);
      const owner = ownerFilter(req.principal!);
      if (owner) q = q.where('customer_id', '=', owner);
      if (query.status) q = q.where('status', '=', query.status);
      if (query.cursor) q = q.where('id', '<', query.cursor);
      const rows = await q.execute();
      const page = rows.slice(0, limit);
      return { items: page.map(toView), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
    },
  );

  app.post(
    '/v1/orders/:id/cancel',
    { preHandler: authenticate, schema: { tags: ['orders'], params: OrderIdParams, response: { 202: OrderView } } },
    async (req, reply) => {
      const { id } = req.params as Static<typeof OrderIdParams>;
      const owner = ownerFilter(req.principal!);
      const result = await db.transaction(async (trx) => {
        const row = await trx.selectFrom('orders').select(['id', 'customer_id']).where('id', '=', id).executeTakeFirst();
        if (!row || (owner && row.customer_id !== owner)) throw orderErrors.create('ORDER_NOT_FOUND', `No order ${id}`);
        return applyToOrder(trx, id, { type: 'CancelRequested' });
      });
      if (!result.ok) {
        if (result.error.code === 'ORDER_ILLEGAL_TRANSITION') throw orderErrors.create('ORDER_NOT_CANCELLABLE', `Order ${id} is already cancelled`);
        throw result.error;
      }
      return reply.status(202).send(result.value);
    },
  );
}
