import type { Migration, PlatformTables } from '@orderflow/platform';

export interface EmailsTable {
  order_id: string;
  outcome: string;
  message_id: string;
  recipient: string;
  /** When the claim committed (the final `.` followed at once). */
  sent_at: string;
  /** `sending`: claimed, the server's reply not yet recorded; `sent`: recorded. */
  status: 'sending' | 'sent';
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
  {
    name: 'notifications-002-emails-status',
    async up(db) {
      await db.schema
        .alterTable('emails')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('sent'))
        .execute();
    },
  },
];
