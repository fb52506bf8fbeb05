import type { Generated } from 'kysely';
import type { Migration } from './database.ts';

/** Tables every service database has: the transactional outbox and the consumer inbox. */
export const platformMigrations: readonly Migration[] = [
  {
    name: 'platform-001-outbox-inbox',
    async up(db, dialect) {
      await db.schema
        .createTable('outbox')
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('headers', 'text', (c) => c.notNull())
        .addColumn('occurred_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('inbox')
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('processed_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('inbox_pk', ['consumer', 'message_id'])
        .execute();
      await db.schema.createIndex('inbox_processed_at').on('inbox').column('processed_at').execute();
    },
  },
];

/** Row shapes of the platform tables, for Kysely typing. */
export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  type: string;
  subject: string;
  version: number;
  source: string;
  key: string;
  data: string;
  headers: string;
  occurred_at: string;
}

export interface InboxTable {
  consumer: string;
  message_id: string;
  processed_at: string;
}

export interface PlatformTables {
  outbox: OutboxTable;
  inbox: InboxTable;
}
