import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { requireAdmin, type Database } from '@orderflow/platform';
import type { ApiKeysTable, OrdersDb } from './schema.ts';
import { generateApiKey } from './api-keys.ts';
import { orderErrors } from './errors.ts';
import { ApiKeyCreated, ApiKeyList, ApiKeyView, CustomerIdParams, KeyIdParams } from './http-schemas.ts';

export interface KeyRouteDeps {
  db: Database<OrdersDb>;
  adminKey: string;
  pepper: string;
}

function toKeyView(r: ApiKeysTable): Static<typeof ApiKeyView> {
  return { id: r.id, customerId: r.customer_id, createdAt: r.created_at, revokedAt: r.revoked_at };
}

/**
 * Key rotation and revocation (admin only): a customer may hold several keys, so a new key can go
 * live while the old one still works, and the old one is revoked when the client has switched.
 * Keys are checked against the database on every request: a revoked key fails its next call.
 */
export function registerKeyRoutes(app: FastifyInstance, deps: KeyRouteDeps): void {
  const { db } = deps;
  // Like every admin route: the admin key or nothing; no customer key is even looked up.
  const preHandler = requireAdmin(deps.adminKey);

  app.post(
    '/v1/customers/:id/keys',
    { preHandler, schema: { tags: ['keys'], params: CustomerIdParams, response: { 201: ApiKeyCreated } } },
    async (req, reply) => {
      const { id } = req.params as Static<typeof CustomerIdParams>;
      const key = generateApiKey(deps.pepper);
      const now = new Date().toISOString();
      const created = await db.transaction(async (trx) => {
        const customer = await trx.selectFrom('customers').select('id').where('id', '=', id).executeTakeFirst();
        if (!customer) return false;
        await trx.insertInto('api_keys').values({ id: key.id, customer_id: id, hash: key.hash, created_at: now, revoked_at: null }).execute();
        return true;
      });
      if (!created) throw orderErrors.create('CUSTOMER_NOT_FOUND', `No customer ${id}`);
      req.log.info({ customer_id: id, key_id: key.id }, 'api key created');
      return reply.status(201).send({ id: key.id, customerId: id, createdAt: now, apiKey: key.key });
    },
  );

  app.get(
    '/v1/customers/:id/keys',
    { preHandler, schema: { tags: ['keys'], params: CustomerIdParams, response: { 200: ApiKeyList } } },
    async (req) => {
      const { id } = req.params as Static<typeof CustomerIdParams>;
      const customer = await db.db.selectFrom('customers').select('id').where('id', '=', id).executeTakeFirst();
      if (!customer) throw orderErrors.create('CUSTOMER_NOT_FOUND', `No customer ${id}`);
      const rows = await db.db.selectFrom('api_keys').selectAll().where('customer_id', '=', id).orderBy('created_at').orderBy('id').execute();
      return { items: rows.map(toKeyView) };
    },
  );

  app.post(
    '/v1/keys/:keyId/revoke',
    { preHandler, schema: { tags: ['keys'], params: KeyIdParams, response: { 200: ApiKeyView } } },
    async (req) => {
      const { keyId } = req.params as Static<typeof KeyIdParams>;
      const now = new Date().toISOString();
      // Revoking twice keeps the first time: the answer says when the key stopped working.
      await db.db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', keyId).where('revoked_at', 'is', null).execute();
      const row = await db.db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
      if (!row) throw orderErrors.create('API_KEY_NOT_FOUND', `No API key ${keyId}`);
      req.log.info({ customer_id: row.customer_id, key_id: keyId }, 'api key revoked');
      return toKeyView(row);
    },
  );
}
