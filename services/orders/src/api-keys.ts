import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { API_KEY_PATTERN, createCoalescedLookup, type Principal } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';

/** A new customer key: shown once, stored only as a keyed hash (HMAC-SHA256 with the pepper). */
export function generateApiKey(pepper: string): { id: string; key: string; hash: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `ofk_${id}_${secret}`, hash: hashSecret(pepper, secret) };
}

export function hashSecret(pepper: string, secret: string): string {
  return createHmac('sha256', pepper).update(secret).digest('hex');
}

/**
 * Checks customer keys against the database, every time (a revoked key fails its next call): the
 * lookups of requests that arrive while one is in flight share the next query (see
 * createCoalescedLookup), so under load a key check costs a fraction of a round trip.
 * Returns the key's owner, or undefined for a malformed, unknown or revoked key.
 */
export function createKeyVerifier(db: Kysely<OrdersDb>, pepper: string): (token: string) => Promise<Principal | undefined> {
  const liveKey = createCoalescedLookup(async (ids: string[]) => {
    const rows = await db
      .selectFrom('api_keys')
      .innerJoin('customers', 'customers.id', 'api_keys.customer_id')
      .select(['api_keys.id', 'api_keys.hash', 'api_keys.customer_id', 'customers.email'])
      .where('api_keys.id', 'in', ids)
      .where('api_keys.revoked_at', 'is', null)
      .execute();
    return new Map(rows.map((r) => [r.id, r]));
  });
  return async (token) => {
    if (!API_KEY_PATTERN.test(token)) return undefined;
    const row = await liveKey(token.slice(4, 20));
    if (!row) return undefined;
    const expected = Buffer.from(row.hash, 'hex');
    const actual = Buffer.from(hashSecret(pepper, token.slice(21)), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    return { role: 'customer', customerId: row.customer_id, email: row.email };
  };
}

/** The pepper: `ORDERFLOW_KEY_PEPPER` if set, else one generated once and kept in the orders database. */
export async function loadPepper(db: Kysely<OrdersDb>, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const fresh = randomBytes(32).toString('base64url');
  await db.insertInto('settings').values({ name: 'api_key_pepper', value: fresh }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const row = await db.selectFrom('settings').select('value').where('name', '=', 'api_key_pepper').executeTakeFirstOrThrow();
  return row.value;
}
