import type { OrderLine, PricedLine } from '@orderflow/contracts';
import { err, ok, type Result } from '@orderflow/platform';

export interface ProductRow {
  sku: string;
  price_cents: number;
  currency: string;
  stock: number;
}

export interface ReservationPlan {
  lines: PricedLine[];
  totalCents: number;
  currency: string;
}

export type ReservationRefusal = { reason: 'out_of_stock' | 'unknown_sku' | 'mixed_currency'; skus: string[] };

/** Sums quantities of repeated skus, keeping first-seen order. */
export function mergeLines(items: readonly OrderLine[]): OrderLine[] {
  const m = new Map<string, number>();
  for (const i of items) m.set(i.sku, (m.get(i.sku) ?? 0) + i.quantity);
  return [...m].map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * Decides a reservation of all lines or none, pricing each line from inventory's own prices
 * (the client never sets a price).
 */
export function planReservation(items: readonly OrderLine[], products: ReadonlyMap<string, ProductRow>): Result<ReservationPlan, ReservationRefusal> {
  const lines = mergeLines(items);
  const unknown = lines.filter((l) => !products.has(l.sku)).map((l) => l.sku);
  if (unknown.length > 0) return err({ reason: 'unknown_sku', skus: unknown });
  const short = lines.filter((l) => products.get(l.sku)!.stock < l.quantity).map((l) => l.sku);
  if (short.length > 0) return err({ reason: 'out_of_stock', skus: short });
  const currencies = new Set(lines.map((l) => products.get(l.sku)!.currency));
  if (currencies.size !== 1) return err({ reason: 'mixed_currency', skus: lines.map((l) => l.sku) });
  const priced = lines.map((l) => ({ ...l, unitPriceCents: products.get(l.sku)!.price_cents }));
  return ok({
    lines: priced,
    totalCents: priced.reduce((n, l) => n + l.unitPriceCents * l.quantity, 0),
    currency: [...currencies][0]!,
  });
}
