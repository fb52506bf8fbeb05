import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planReservation, type ProductRow } from './reserve.ts';

const products = new Map<string, ProductRow>([
  ['tea', { sku: 'tea', price_cents: 450, currency: 'eur', stock: 3 }],
  ['mug', { sku: 'mug', price_cents: 1200, currency: 'eur', stock: 1 }],
  ['hat', { sku: 'hat', price_cents: 999, currency: 'usd', stock: 9 }],
]);

test('prices every line from inventory and totals them', () => {
  const r = planReservation([{ sku: 'tea', quantity: 2 }, { sku: 'mug', quantity: 1 }], products);
  assert.deepEqual(r, {
    ok: true,
    value: { lines: [{ sku: 'tea', quantity: 2, unitPriceCents: 450 }, { sku: 'mug', quantity: 1, unitPriceCents: 1200 }], totalCents: 2100, currency: 'eur' },
  });
});

test('repeated skus are summed before the stock check, so they cannot oversell', () => {
  const r = planReservation([{ sku: 'tea', quantity: 2 }, { sku: 'tea', quantity: 2 }], products);
  assert.deepEqual(r, { ok: false, error: { reason: 'out_of_stock', skus: ['tea'] } });
});

test('refuses the whole order when any line is short, unknown or in another currency', () => {
  assert.deepEqual(planReservation([{ sku: 'tea', quantity: 1 }, { sku: 'mug', quantity: 2 }], products), { ok: false, error: { reason: 'out_of_stock', skus: ['mug'] } });
  assert.deepEqual(planReservation([{ sku: 'nope', quantity: 1 }], products), { ok: false, error: { reason: 'unknown_sku', skus: ['nope'] } });
  assert.equal(planReservation([{ sku: 'tea', quantity: 1 }, { sku: 'hat', quantity: 1 }], products).ok, false);
});
