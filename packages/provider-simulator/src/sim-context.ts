import type { IdempotencyGate } from './idempotency-gate.ts';
import type { SimulatorKnobs } from './simulator-knobs.ts';
import type { SimulatorStore } from './simulator-store.ts';
import { invalidRequest, type SimReply } from './stripe-errors.ts';

/** What every route handler gets: state, the idempotency gate and the live knobs. */
export interface SimContext {
  store: SimulatorStore;
  gate: IdempotencyGate;
  knobs: SimulatorKnobs;
}

/** A handler's request: parsed query, form body and the Idempotency-Key header. */
export interface SimRequest {
  query: URLSearchParams;
  form: Map<string, string>;
  idempotencyKey: string | undefined;
}

/** Hold the socket and never answer (the commitThenTimeoutNext knob). */
export const HANG = Symbol('hang');

export type HandlerResult = SimReply | typeof HANG;

export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Reads the `limit` query parameter of a list endpoint: default 100 here (Stripe's is 10,
 * a larger page keeps per-order counting in tests to one call), 1 to 1000.
 */
export function listLimit(query: URLSearchParams): number | SimReply {
  const raw = query.get('limit');
  if (raw === null) return 100;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 1000) return invalidRequest('limit must be an integer from 1 to 1000.', 'limit');
  return n;
}

/** Stripe's list envelope; fetch `limit + 1` rows to know `has_more`. */
export function listOf<T>(url: string, rows: T[], limit: number): SimReply {
  return { status: 200, body: { object: 'list', url, has_more: rows.length > limit, data: rows.slice(0, limit) } };
}
