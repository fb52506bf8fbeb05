import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { bearerToken, isAdminKey, platformErrors, type Principal } from '@orderflow/platform';
import type { OrdersDb } from './schema.ts';
import { createKeyVerifier } from './api-keys.ts';

export interface AuthDeps {
  db: Kysely<OrdersDb>;
  adminKey: string;
  pepper: string;
}

/**
 * A preHandler admitting the admin key or a live customer key; sets `req.principal`. Keys are
 * looked up on every request (concurrent lookups share a query), so a revoked key stops working at once.
 * @throws AppError UNAUTHENTICATED without a key or with an unknown or revoked one.
 */
export function createAuthenticate(deps: AuthDeps) {
  const verify = createKeyVerifier(deps.db, deps.pepper);
  return async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req);
    if (token === undefined) throw platformErrors.create('UNAUTHENTICATED', 'Send Authorization: Bearer <API key>');
    if (isAdminKey(token, deps.adminKey)) {
      req.principal = { role: 'admin' };
      return;
    }
    const p = await verify(token);
    if (!p) throw platformErrors.create('UNAUTHENTICATED', 'Unknown or revoked API key');
    req.principal = p;
  };
}

/** The customer whose orders a principal may see: undefined for admin (all). */
export function ownerFilter(p: Principal): string | undefined {
  return p.role === 'customer' ? p.customerId : undefined;
}
