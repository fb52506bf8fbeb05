import { createPaymentIntent, getPaymentIntent, listPaymentIntents } from './payment-intents.ts';
import { createRefund, getRefund, listRefunds } from './refunds.ts';
import type { HandlerResult, SimContext, SimRequest } from './sim-context.ts';
import { checkKnobs } from './simulator-knobs.ts';
import { invalidRequest, unknownRoute, type SimReply } from './stripe-errors.ts';

/** A request as the router sees it; `json` is set for `/__simulator` POSTs. */
export interface RoutedRequest extends SimRequest {
  method: string;
  path: string;
  json?: unknown;
}

const PI_PATH = /^\/v1\/payment_intents\/([^/]+)$/;
const REFUND_PATH = /^\/v1\/refunds\/([^/]+)$/;

function setKnobsFromJson(ctx: SimContext, json: unknown): SimReply {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalidRequest('Send a JSON object such as {"latencyMs": 100}.');
  }
  try {
    Object.assign(ctx.knobs, checkKnobs(json as Record<string, unknown>));
  } catch (err) {
    return invalidRequest((err as Error).message);
  }
  return { status: 200, body: { ...ctx.knobs } };
}

/** Dispatches one request to its handler; unknown routes get Stripe's 404. */
export function route(ctx: SimContext, req: RoutedRequest): HandlerResult | Promise<HandlerResult> {
  const { method, path } = req;
  if (method === 'POST' && path === '/v1/payment_intents') return createPaymentIntent(ctx, req);
  if (method === 'GET' && path === '/v1/payment_intents') return listPaymentIntents(ctx, req);
  if (method === 'POST' && path === '/v1/refunds') return createRefund(ctx, req);
  if (method === 'GET' && path === '/v1/refunds') return listRefunds(ctx, req);
  if (method === 'GET') {
    const pi = PI_PATH.exec(path);
    if (pi) return getPaymentIntent(ctx, pi[1]!);
    const re = REFUND_PATH.exec(path);
    if (re) return getRefund(ctx, re[1]!);
  }
  if (path === '/__simulator/knobs') {
    if (method === 'GET') return { status: 200, body: { ...ctx.knobs } };
    if (method === 'POST') return setKnobsFromJson(ctx, req.json);
  }
  if (method === 'GET' && path === '/__simulator/stats') return { status: 200, body: ctx.store.counts() };
  return unknownRoute(method, path);
}
