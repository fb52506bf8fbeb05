/** What a Stripe test payment method does when charged. */
export type CardOutcome =
  | { kind: 'succeeds' }
  | { kind: 'declines'; code: string; declineCode?: string; message: string }
  | { kind: 'unknown' };

// A subset of Stripe's documented test PaymentMethods
// (https://docs.stripe.com/testing#declined-payments); names are Stripe's own.
const DECLINES: Record<string, Omit<Extract<CardOutcome, { kind: 'declines' }>, 'kind'>> = {
  pm_card_chargeDeclined: { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' },
  pm_card_chargeDeclinedInsufficientFunds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_chargeDeclinedFraudulent: { code: 'card_declined', declineCode: 'fraudulent', message: 'Your card was declined.' },
  pm_card_chargeDeclinedExpiredCard: { code: 'expired_card', message: 'Your card has expired.' },
  pm_card_chargeDeclinedIncorrectCvc: { code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  pm_card_chargeDeclinedProcessingError: {
    code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
};

/**
 * Maps a payment method id to its outcome: the decline table above, any other `pm_card_*`
 * succeeds (like `pm_card_visa`), anything else is unknown (Stripe answers `resource_missing`).
 */
export function outcomeOf(paymentMethod: string): CardOutcome {
  const decline = DECLINES[paymentMethod];
  if (decline) return { kind: 'declines', ...decline };
  if (paymentMethod.startsWith('pm_card_')) return { kind: 'succeeds' };
  return { kind: 'unknown' };
}
