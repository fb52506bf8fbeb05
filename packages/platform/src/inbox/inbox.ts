import type { Kysely } from 'kysely';
import type { PlatformTables } from '../db/platform-migrations.ts';

/**
 * Records that `consumer` has processed `messageId`, inside the handler's transaction.
 * Returns false when it already had: the caller then changes nothing, so a redelivered
 * event is applied once.
 */
export async function claimInbox(trx: Kysely<any>, consumer: string, messageId: string): Promise<boolean> {
  const r = await inboxInsert(trx, consumer, messageId)
    .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * The inbox record of `messageId`, not yet run, and without `on conflict`: sent with a handler's
 * writes (`Database.writeTogether`), a message already processed fails them all with a unique
 * violation, so nothing is applied twice.
 */
export function inboxInsert(k: Kysely<any>, consumer: string, messageId: string) {
  return (k as Kysely<PlatformTables>).insertInto('inbox').values({ consumer, message_id: messageId, processed_at: new Date().toISOString() });
}

/** True when `consumer` has already processed `messageId` (a read before an outside call). */
export async function inboxHas(db: Kysely<any>, consumer: string, messageId: string): Promise<boolean> {
  const r = await (db as Kysely<PlatformTables>)
    .selectFrom('inbox')
    .select('message_id')
    .where('consumer', '=', consumer)
    .where('message_id', '=', messageId)
    .executeTakeFirst();
  return r !== undefined;
}
