import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { platformErrors } from '../errors.ts';

/** Who is calling. Customers are resolved by the orders service, which owns them. */
export type Principal = { role: 'admin' } | { role: 'customer'; customerId: string; email: string };

/** The token after `Bearer `, or undefined. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return undefined;
  const t = h.slice(7).trim();
  return t.length > 0 && t.length <= 200 ? t : undefined;
}

/** Customer API keys: `ofk_<16 hex key id>_<43 base64url secret>`; the id finds the row, the secret is checked against its hash. */
export const API_KEY_PATTERN = /^ofk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison against the admin key (hashing first makes the lengths equal). */
export function isAdminKey(token: string | undefined, adminKey: string): boolean {
  if (token === undefined) return false;
  return timingSafeEqual(digest(token), digest(adminKey));
}

/**
 * A preHandler that admits the admin key only.
 * @throws AppError UNAUTHENTICATED without a key, FORBIDDEN with any other valid-looking key.
 */
export function requireAdmin(adminKey: string) {
  return async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req);
    if (token === undefined) throw platformErrors.create('UNAUTHENTICATED', 'Send Authorization: Bearer <admin key>');
    if (isAdminKey(token, adminKey)) return;
    if (API_KEY_PATTERN.test(token)) throw platformErrors.create('FORBIDDEN', 'This route needs the admin key');
    throw platformErrors.create('UNAUTHENTICATED', 'Unknown API key');
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by an authentication preHandler. */
    principal?: Principal;
  }
}
