import { sql, type Kysely } from 'kysely';
import type { Dialect, Migration } from './database.ts';

/**
 * Applies the migrations not yet recorded in `_migrations`, each in its own transaction, in order.
 * Safe to run on every start and from several instances (distributed mode holds an advisory lock).
 */
export async function runMigrations(db: Kysely<any>, dialect: Dialect, migrations: readonly Migration[]): Promise<string[]> {
  const applied: string[] = [];
  await db.transaction().execute(async (trx) => {
    // First, before even the bookkeeping table: instances starting together would race on it.
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(727274)`.execute(trx);
    await trx.schema
      .createTable('_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute();
    const done = new Set((await trx.selectFrom('_migrations').select('name').execute()).map((r) => r.name as string));
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await m.up(trx, dialect);
      await trx.insertInto('_migrations').values({ name: m.name, applied_at: new Date().toISOString() }).execute();
      applied.push(m.name);
    }
  });
  return applied;
}
