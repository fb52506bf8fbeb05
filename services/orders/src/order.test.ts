import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, type OrderFacts, type OrderState, type Pricing } from './order.ts';

const facts: OrderFacts = { id: 'o1', customerId: 'c1', customerEmail: 'a@example.com', paymentMethod: 'pm_card_visa' };
const pricing: Pricing = { lines: [{ sku: 'tea', quantity: 2, unitPriceCents: 450 }], totalCents: 900, currency: 'eur' };

test('stock reserved moves pending to awaiting_payment and requests the priced amount', () => {
  const r = transition(facts, { status: 'pending' }, { type: 'StockReserved', pricing });
  assert.ok(r.ok);
  assert.equal(r.value.state.status, 'awaiting_payment');
  assert.deepEqual(r.value.events.map((e) => e.type), ['PaymentRequested']);
  assert.equal((r.value.events[0]!.data as { amountCents: number }).amountCents, 900);
});

test('a declined payment cancels with payment_declined and emits OrderCancelled', () => {
  const r = transition(facts, { status: 'awaiting_payment', pricing }, { type: 'PaymentDeclined' });
  assert.ok(r.ok);
  assert.deepEqual(r.value.state, { status: 'cancelled', reason: 'payment_declined', pricing });
  assert.deepEqual(r.value.events.map((e) => e.type), ['OrderCancelled']);
});

test('no stock cancels a pending order with out_of_stock', () => {
  const r = transition(facts, { status: 'pending' }, { type: 'StockReservationFailed' });
  assert.ok(r.ok);
  assert.deepEqual(r.value.state, { status: 'cancelled', reason: 'out_of_stock' });
});

test('payment success confirms and keeps the payment intent', () => {
  const r = transition(facts, { status: 'awaiting_payment', pricing }, { type: 'PaymentSucceeded', paymentIntentId: 'pi_1' });
  assert.ok(r.ok);
  assert.deepEqual(r.value.state, { status: 'confirmed', pricing, paymentIntentId: 'pi_1' });
  assert.deepEqual(r.value.events.map((e) => e.type), ['OrderConfirmed']);
});

test('illegal moves are typed errors, never silent no-ops', () => {
  const cases: Array<[OrderState, Parameters<typeof transition>[2]]> = [
    [{ status: 'cancelled', reason: 'customer_request' }, { type: 'PaymentSucceeded', paymentIntentId: 'pi' }],
    [{ status: 'cancelled', reason: 'customer_request' }, { type: 'CancelRequested' }],
    [{ status: 'pending' }, { type: 'PaymentSucceeded', paymentIntentId: 'pi' }],
    [{ status: 'confirmed', pricing, paymentIntentId: 'pi' }, { type: 'StockReserved', pricing }],
  ];
  for (const [state, input] of cases) {
    const r = transition(facts, state, input);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'ORDER_ILLEGAL_TRANSITION');
  }
});

test('a customer may cancel a confirmed order; the cancellation carries the payment for the refund', () => {
  const r = transition(facts, { status: 'confirmed', pricing, paymentIntentId: 'pi_1' }, { type: 'CancelRequested' });
  assert.ok(r.ok);
  assert.deepEqual(r.value.state, { status: 'cancelled', reason: 'customer_request', pricing, paymentIntentId: 'pi_1' });
});
