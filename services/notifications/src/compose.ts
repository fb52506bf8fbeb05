import type { OrderCancelled, OrderConfirmed } from '@orderflow/contracts';
import type { MailMessage } from '@orderflow/platform';

/** One Message-ID per order and outcome: a resend after a crash is recognisably the same mail. */
export function messageIdFor(orderId: string, outcome: 'confirmed' | 'cancelled'): string {
  return `order-${orderId}-${outcome}@orderflow`;
}

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

export function confirmationMail(e: OrderConfirmed): MailMessage {
  const lines = e.items.map((l) => `  ${l.quantity} x ${l.sku} @ ${money(l.unitPriceCents, e.currency)}`).join('\n');
  return {
    messageId: messageIdFor(e.orderId, 'confirmed'),
    to: e.customerEmail,
    subject: `Order ${e.orderId} confirmed`,
    text: `Thank you. Your order ${e.orderId} is confirmed.\n\n${lines}\n\nTotal: ${money(e.totalCents, e.currency)}\n`,
  };
}

const reasons: Record<OrderCancelled['reason'], string> = {
  out_of_stock: 'some items are out of stock',
  payment_declined: 'the payment was declined',
  payment_failed: 'the payment could not be completed',
  customer_request: 'you asked us to cancel it',
};

export function cancellationMail(e: OrderCancelled): MailMessage {
  return {
    messageId: messageIdFor(e.orderId, 'cancelled'),
    to: e.customerEmail,
    subject: `Order ${e.orderId} cancelled`,
    text: `Your order ${e.orderId} was cancelled because ${reasons[e.reason] ?? e.reason}. Any payment taken is refunded.\n`,
  };
}
