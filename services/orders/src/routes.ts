import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { readStale, requireAdmin, uuidv7, type Cache, type Database, type RecentWrites } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import { generateApiKey } from './api-keys.ts';
import { createAuthenticate, ownerFilter } from './authenticate.ts';
import { checkIdempotencyKey, createIntake } from './intake.ts';
import { findOrder, findView, listOrders, orderKey } from './read-model.ts';
import { applyToOrder, retryOnConcurrentChange } from './apply.ts';
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
  /** Single-order views, dropped after each commit that changes the order. */
  cache: Cache;
  recentWrites: RecentWrites;
  /** Orders per intake transaction at most (ORDERFLOW_INTAKE_BATCH); default 1. */
  intakeBatch?: number;
}

const customerKey = (id: string) => `customer:${id}`;

export function registerOrdersRoutes(app: FastifyInstance, deps: OrdersRouteDeps): void {
  const { db } = deps;
  const placeOrder = createIntake(db, { maxBatch: deps.intakeBatch ?? 1 });
  const { cache, recentWrites } = deps;
  /** Read-your-writes: the writer's next reads of this order and of their list go to the primary. */
  const markWritten = (orderId: string, customerId: string) => Promise.all([recentWrites.mark(orderKey(orderId)), recentWrites.mark(customerKey(customerId))]);

  /**
   * An order's view: from the write model on the primary right after its owner changed it; else
   * the cache, filled from the read model on the primary (so an entry is never older than its
   * invalidation); the write model answers when there is no view.
   */
  async function readOrder(id: string) {
    if (await recentWrites.has(orderKey(id))) return findOrder(db.db, id);
    return (await cache.getOrLoad(orderKey(id), () => findView(db.db, id))) ?? findOrder(db.db, id);
  }

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
      // A new order's view was written with it and no cache can hold an older one: only the
      // customer's list may be read where the order is not yet, on a replica.
      if (db.replica) await recentWrites.mark(customerKey(p.customerId));
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
      const owner = ownerFilter(req.principal!);
      const view = await readOrder(id);
      // Another customer's order is "not found": a 403 would confirm it exists.
      if (!view || (owner && view.customerId !== owner)) throw orderErrors.create('ORDER_NOT_FOUND', `No order ${id}`);
      return view;
    },
  );

  app.get(
    '/v1/orders',
    { preHandler: authenticate, schema: { tags: ['orders'], querystring: ListQuery, response: { 200: OrderList } } },
    async (req) => {
      const query = req.query as Static<typeof ListQuery>;
      const limit = query.limit ?? 20;
      const owner = ownerFilter(req.principal!);
      const filter = { customerId: owner, status: query.status, cursor: query.cursor, limit: limit + 1 };
      // Right after the customer's own write: the write model on the primary. Otherwise the read
      // model, on the replica when one is configured and close enough behind.
      const rows =
        owner !== undefined && (await recentWrites.has(customerKey(owner)))
          ? await listOrders(db.db, 'orders', filter)
          : await readStale(db, (k) => listOrders(k, 'order_views', filter));
      const page = rows.slice(0, limit);
      return { items: page, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
    },
  );

  app.post(
    '/v1/orders/:id/cancel',
    { preHandler: authenticate, schema: { tags: ['orders'], params: OrderIdParams, response: { 202: OrderView } } },
    async (req, reply) => {
      const { id } = req.params as Static<typeof OrderIdParams>;
      const owner = ownerFilter(req.principal!);
      const result = await retryOnConcurrentChange(() =>
        db.transaction(async (trx) => {
          const row = await trx.selectFrom('orders').select(['id', 'customer_id']).where('id', '=', id).executeTakeFirst();
          if (!row || (owner && row.customer_id !== owner)) throw orderErrors.create('ORDER_NOT_FOUND', `No order ${id}`);
          return applyToOrder(trx, id, { type: 'CancelRequested' });
        }),
      );
      if (!result.ok) {
        if (result.error.code === 'ORDER_ILLEGAL_TRANSITION') throw orderErrors.create('ORDER_NOT_CANCELLABLE', `Order ${id} is already cancelled`);
        throw result.error;
      }
      await cache.invalidate(orderKey(id));
      await markWritten(id, result.value.customerId);
      return reply.status(202).send(result.value);
    },
  );
}
