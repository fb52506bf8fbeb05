import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { API_KEY_PATTERN, type Principal } from '@orderflow/platform';
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

/** The key's owner, or undefined for a malformed, unknown or revoked key. */
export async function verifyApiKey(db: Kysely<OrdersDb>, pepper: string, token: string): Promise<Principal | undefined> {
  if (!API_KEY_PATTERN.test(token)) return undefined;
  const id = token.slice(4, 20);
  const secret = token.slice(21);
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('customers', 'customers.id', 'api_keys.customer_id')
    .select(['api_keys.hash', 'api_keys.customer_id', 'customers.email'])
    .where('api_keys.id', '=', id)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const expected = Buffer.from(row.hash, 'hex');
  const actual = Buffer.from(hashSecret(pepper, secret), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  return { role: 'customer', customerId: row.customer_id, email: row.email };
}

/** The pepper: `ORDERFLOW_KEY_PEPPER` if set, else one generated once and kept in the orders database. */
export async function loadPepper(db: Kysely<OrdersDb>, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const fresh = randomBytes(32).toString('base64url');
  await db.insertInto('settings').values({ name: 'api_key_pepper', value: fresh }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const row = await db.selectFrom('settings').select('value').where('name', '=', 'api_key_pepper').executeTakeFirstOrThrow();
  return row.value;
}
