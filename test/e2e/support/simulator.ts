/** Reads the payment simulator's records (a simulator extension: list by order id). */
export async function chargesFor(paymentUrl: string, orderId: string, secretKey = 'sk_test_orderflow'): Promise<Array<{ id: string; status: string; amount: number }>> {
  const res = await fetch(`${paymentUrl}/v1/payment_intents?metadata_order_id=${encodeURIComponent(orderId)}&limit=100`, { headers: { authorization: `Bearer ${secretKey}` } });
  if (res.status !== 200) throw new Error(`simulator list: ${res.status}`);
  const body = (await res.json()) as { data: Array<{ id: string; status: string; amount: number }> };
  return body.data;
}

export async function refundsFor(paymentUrl: string, paymentIntentId: string, secretKey = 'sk_test_orderflow'): Promise<Array<{ id: string; amount: number }>> {
  const res = await fetch(`${paymentUrl}/v1/refunds?payment_intent=${encodeURIComponent(paymentIntentId)}`, { headers: { authorization: `Bearer ${secretKey}` } });
  if (res.status !== 200) throw new Error(`simulator refunds: ${res.status}`);
  return ((await res.json()) as { data: Array<{ id: string; amount: number }> }).data;
}
