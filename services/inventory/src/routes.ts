import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { appendToOutbox, FREE_TEXT_PATTERN, requireAdmin, type Cache, type Database } from '@orderflow/platform';
import type { InventoryDb } from './schema.ts';
import { inventoryErrors } from './errors.ts';

export const SkuSchema = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Stock keeping unit: letters, digits, . _ -, up to 64' });

const ProductBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: FREE_TEXT_PATTERN }),
    priceCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    currency: Type.String({ pattern: '^[a-zA-Z]{3}$' }),
    stock: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  },
  { additionalProperties: false },
);

const Product = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  currency: Type.String(),
  stock: Type.Integer(),
  updatedAt: Type.String(),
});

type ProductRow = InventoryDb['products'];

function toProduct(r: ProductRow): Static<typeof Product> {
  return { sku: r.sku, name: r.name, priceCents: r.price_cents, currency: r.currency, stock: r.stock, updatedAt: r.updated_at };
}

/** The cache key of one product. */
export const productKey = (sku: string) => `product:${sku}`;

/**
 * `PUT /v1/products/{sku}` (admin) creates or replaces a product; `GET` is public catalogue data,
 * served from the cache (filled from the primary; dropped after every commit that changes the
 * product: this PUT, a reservation, a release).
 */
export function registerInventoryRoutes(app: FastifyInstance, deps: { db: Database<InventoryDb>; adminKey: string; cache: Cache }): void {
  const params = Type.Object({ sku: SkuSchema });
  app.put(
    '/v1/products/:sku',
    {
      preHandler: requireAdmin(deps.adminKey),
      schema: { tags: ['products'], params, body: ProductBody, response: { 200: Product, 201: Product } },
    },
    async (req, reply) => {
      const { sku } = req.params as Static<typeof params>;
      const body = req.body as Static<typeof ProductBody>;
      const now = new Date().toISOString();
      const row: ProductRow = { sku, name: body.name, price_cents: body.priceCents, currency: body.currency.toLowerCase(), stock: body.stock, updated_at: now };
      const created = await deps.db.transaction(async (trx) => {
        const before = await trx.selectFrom('products').select('sku').where('sku', '=', sku).executeTakeFirst();
        await trx
          .insertInto('products')
          .values(row)
          .onConflict((oc) => oc.column('sku').doUpdateSet({ name: row.name, price_cents: row.price_cents, currency: row.currency, stock: row.stock, updated_at: now }))
          .execute();
        await appendToOutbox(trx, [{ type: 'ProductUpserted', key: sku, data: { sku, name: row.name, priceCents: row.price_cents, currency: row.currency } }]);
        return before === undefined;
      });
      await deps.cache.invalidate(productKey(sku));
      return reply.status(created ? 201 : 200).send(toProduct(row));
    },
  );
  app.get('/v1/products/:sku', { schema: { tags: ['products'], params, response: { 200: Product } } }, async (req) => {
    const { sku } = req.params as Static<typeof params>;
    const p = await deps.cache.getOrLoad(productKey(sku), async () => {
      const r = await deps.db.db.selectFrom('products').selectAll().where('sku', '=', sku).executeTakeFirst();
      return r ? toProduct(r) : undefined;
    });
    if (!p) throw inventoryErrors.create('PRODUCT_NOT_FOUND', `No product ${sku}`);
    return p;
  });
}
