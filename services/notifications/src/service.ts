import { subjectFor } from '@orderflow/contracts';
import type { Database, Mailer, ServiceModule } from '@orderflow/platform';
import { notificationsMigrations, type NotificationsDb } from './schema.ts';
import { onOrderFinished, type OrderFinishedOptions } from './handlers.ts';

/** Notifications: one email per finished order (confirmed or cancelled), never two. */
export function createNotificationsService(deps: { mailer: Mailer; concurrency?: number } & Pick<OrderFinishedOptions, 'claimGraceMs'>): ServiceModule {
  return {
    name: 'notifications',
    migrations: notificationsMigrations,
    async setup(ctx) {
      ctx.subscribe({
        subjects: [subjectFor('OrderConfirmed'), subjectFor('OrderCancelled')],
        handler: onOrderFinished(ctx.db as Database<NotificationsDb>, deps.mailer, { logger: ctx.logger, ...(deps.claimGraceMs === undefined ? {} : { claimGraceMs: deps.claimGraceMs }) }),
        concurrency: deps.concurrency ?? 16,
      });
    },
  };
}
