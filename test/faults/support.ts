import { randomUUID } from 'node:crypto';
import { apiClient, type ApiClient, type HttpResult } from '../e2e/support/client.ts';
import { chargesFor } from '../e2e/support/simulator.ts';
import type { SmtpPeer } from '../support/smtp-peer.ts';

/** `npm run test:faults` sets ORDERFLOW_FAULTS_PROFILE=long: the full-length runs; otherwise the short CI variants. */
export const LONG = process.env.ORDERFLOW_FAULTS_PROFILE === 'long';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Environment for a fast-failing, fast-recovering test system. */
export const resilientEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  ORDERFLOW_PAYMENT_TIMEOUT_MS: '1000',
  ORDERFLOW_PAYMENT_BREAKER_THRESHOLD: '5',
  ORDERFLOW_PAYMENT_BREAKER_HALF_OPEN_MS: '1000',
  ORDERFLOW_SMTP_TIMEOUT_MS: '5000',
  ORDERFLOW_SMTP_BREAKER_HALF_OPEN_MS: '1000',
  ORDERFLOW_BROKER_MAX_ATTEMPTS: '1000',
  ORDERFLOW_BROKER_BACKOFF_BASE_MS: '50',
  ORDERFLOW_BROKER_BACKOFF_CAP_MS: '1000',
  ...extra,
});

export async function setKnobs(paymentUrl: string, knobs: Record<string, number>): Promise<void> {
  const r = await fetch(`${paymentUrl}/__simulator/knobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk_test_orderflow' }, body: JSON.stringify(knobs) });
  if (r.status !== 200) throw new Error(`knobs: ${r.status} ${await r.text()}`);
}

export async function resilienceStats(api: ApiClient, adminKey: string): Promise<{ dependencies: Array<{ dependency: string; breaker: string; breakerOpened: number; timeouts: number; circuitRejected: number }>; shed: Record<string, number> }> {
  return (await api.call('GET', '/v1/admin/resilience', { key: adminKey })).body;
}

export const orderBody = (sku: string) => ({ items: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_visa' });

/** Places one order and times it. */
export async function timedOrder(api: ApiClient, key: string, sku: string, idem = randomUUID()): Promise<{ r: HttpResult; ms: number }> {
  const t0 = performance.now();
  const r = await api.placeOrder(key, orderBody(sku), idem);
  return { r, ms: performance.now() - t0 };
}

/**
 * Runs `fn` at `ratePerSec` (open model: starts do not wait for earlier calls) for `durationMs`;
 * resolves when every call has finished.
 */
export async function steady<T>(ratePerSec: number, durationMs: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: Array<Promise<T>> = [];
  const t0 = performance.now();
  const total = Math.floor((ratePerSec * durationMs) / 1000);
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    out.push(fn(i));
  }
  return Promise.all(out);
}

/** Polls until every order is in one of `statuses`; returns the final views. */
export async function waitAll(api: ApiClient, key: string, ids: string[], statuses: string[], timeoutMs: number): Promise<Map<string, { status: string; cancellationReason?: string }>> {
  const deadline = Date.now() + timeoutMs;
  const done = new Map<string, { status: string; cancellationReason?: string }>();
  while (Date.now() < deadline) {
    for (const id of ids) {
      if (done.has(id)) continue;
      const r = await api.getOrder(key, id);
      if (r.status === 200 && statuses.includes(r.body.status)) done.set(id, r.body);
    }
    if (done.size === ids.length) return done;
    await sleep(200);
  }
  const stuck = ids.filter((id) => !done.has(id));
  throw new Error(`${stuck.length} of ${ids.length} orders not ${statuses.join('|')} after ${timeoutMs} ms, e.g. ${stuck.slice(0, 3).join(', ')}`);
}

/** Per order: how many charges the provider holds and how many mails the peer received. */
export async function effects(paymentUrl: string, smtp: SmtpPeer | undefined, ids: string[]): Promise<{ doubleCharged: string[]; uncharged: string[]; mailCounts: Map<string, number> }> {
  const doubleCharged: string[] = [];
  const uncharged: string[] = [];
  const mailCounts = new Map<string, number>();
  for (const id of ids) {
    const charges = await chargesFor(paymentUrl, id);
    if (charges.length > 1) doubleCharged.push(id);
    if (charges.length === 0) uncharged.push(id);
    if (smtp) mailCounts.set(id, smtp.messages.filter((m) => m.subject.includes(id)).length);
  }
  return { doubleCharged, uncharged, mailCounts };
}

export { apiClient };
