import { createHash } from 'node:crypto';
import { idempotencyKeyInUse, idempotencyMismatch, invalidRequest, type SimReply } from './stripe-errors.ts';
import type { SimulatorStore } from './simulator-store.ts';

/** Stripe's limit on the `Idempotency-Key` header. */
const MAX_KEY_LENGTH = 255;

/**
 * Stripe-style idempotency: the first answer that reflects a committed outcome (a success
 * or a decline) is stored under the key and replayed for the same parameters; other
 * parameters get `idempotency_error`; a key whose request is still executing gets 409.
 * Validation errors and injected 500s are not stored, so a retry may still succeed.
 */
export interface IdempotencyGate {
  /** A reply that ends the request now (replay, mismatch, key in use, bad key), or undefined to go on. */
  precheck(key: string | undefined, fingerprint: string): SimReply | undefined;
  /** Marks the key in flight while `fn` runs. */
  hold<T>(key: string | undefined, fn: () => Promise<T>): Promise<T>;
  /** Stores the answer under the key; call inside the transaction that commits the effect. */
  remember(key: string | undefined, fingerprint: string, reply: { status: number; body: unknown }): void;
}

/** A digest of the route and its form fields, independent of field order. */
export function fingerprintOf(route: string, form: Map<string, string>): string {
  const fields = [...form.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([route, fields])).digest('base64url');
}

export function createIdempotencyGate(store: SimulatorStore): IdempotencyGate {
  const inFlight = new Set<string>();
  return {
    precheck(key, fingerprint) {
      if (key === undefined) return undefined;
      if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
        return invalidRequest(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters long.`, 'Idempotency-Key');
      }
      const stored = store.getIdempotency(key);
      if (stored) {
        if (stored.fingerprint !== fingerprint) return idempotencyMismatch(key);
        return { status: stored.status, raw: stored.body, headers: { 'Idempotent-Replayed': 'true' } };
      }
      return inFlight.has(key) ? idempotencyKeyInUse() : undefined;
    },
    async hold(key, fn) {
      if (key === undefined) return fn();
      inFlight.add(key);
      try {
        return await fn();
      } finally {
        inFlight.delete(key);
      }
    },
    remember(key, fingerprint, reply) {
      if (key === undefined) return;
      store.putIdempotency({ key, fingerprint, status: reply.status, body: JSON.stringify(reply.body) });
    },
  };
}
