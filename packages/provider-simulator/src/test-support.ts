// Helpers for this package's tests only (not exported from index.ts).

export interface SimAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** POSTs form fields like a Stripe client would and parses the JSON answer. */
export async function postForm(
  baseUrl: string,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<SimAnswer> {
  const res = await fetch(baseUrl + path, { method: 'POST', body: new URLSearchParams(fields), headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export async function getJson(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SimAnswer> {
  const res = await fetch(baseUrl + path, { headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** The fields of a confirmed card charge for `orderId`. */
export function chargeFields(orderId: string, paymentMethod = 'pm_card_visa', amount = '1999'): Record<string, string> {
  return { amount, currency: 'usd', payment_method: paymentMethod, confirm: 'true', 'metadata[order_id]': orderId };
}

/** How many payment intents the simulator holds for an order. */
export async function countCharges(baseUrl: string, orderId: string): Promise<number> {
  const list = await getJson(baseUrl, `/v1/payment_intents?metadata_order_id=${encodeURIComponent(orderId)}`);
  return (list.body.data as unknown[]).length;
}
