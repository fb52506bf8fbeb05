import { subjectFor } from '@orderflow/contracts';
import type { Database, ServiceModule } from '@orderflow/platform';
import { inventoryMigrations, type InventoryDb } from './schema.ts';
import { registerInventoryRoutes } from './routes.ts';
import { onOrderCancelled, onOrderPlaced } from './handlers.ts';

/** Inventory: products, prices and stock; reserves all lines of an order or none, releases on cancel. */
export function createInventoryService(): ServiceModule {
  return {
    name: 'inventory',
    migrations: inventoryMigrations,
    async setup(ctx) {
      const db = ctx.db as Database<InventoryDb>;
      const cache = ctx.readPath.cache('products');
      registerInventoryRoutes(ctx.http, { db, adminKey: ctx.adminKey, cache });
      const placed = onOrderPlaced(db, cache);
      const cancelled = onOrderCancelled(db, cache);
      ctx.subscribe({
        subjects: [subjectFor('OrderPlaced'), subjectFor('OrderCancelled')],
        handler: (m) => (m.type === 'OrderPlaced' ? placed(m) : cancelled(m)),
      });
    },
  };
}
