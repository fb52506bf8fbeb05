import type { Migration, PlatformTables } from '@orderflow/platform';

export interface EmailsTable {
  order_id: string;
  outcome: string;
  message_id: string;
  recipient: string;
  sent_at: string;
}

export interface NotificationsDb extends PlatformTables {
  emails: EmailsTable;
}

export const notificationsMigrations: readonly Migration[] = [
  {
    name: 'notifications-001-emails',
    async up(db) {
      await db.schema
        .createTable('emails')
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull().unique())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('emails_pk', ['order_id', 'outcome'])
        .execute();
    },
  },
];
