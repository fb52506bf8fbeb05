/**
 * Provider idempotency keys derive from the order, never from the attempt: every retry of a
 * charge — after a timeout, a crash, a redelivery — is the same charge at the provider.
 */
export const chargeKey = (orderId: string) => `orderflow-charge-${orderId}`;
export const refundKey = (orderId: string) => `orderflow-refund-${orderId}`;
