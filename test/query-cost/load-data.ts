import pg from 'pg';

/**
 * Realistic volumes for the query-cost test, each table filled by one INSERT … SELECT over
 * generate_series (no round trip per row): `orders` orders spread over `orders / 10` customers,
 * mostly final (90 % confirmed, 7 % cancelled, 2 % awaiting payment, 1 % pending), with their read
 * model rows, idempotency keys and inbox claims, and the per-order rows of the other services.
 * Ids keep the UUIDv7 shape (time-ordered), so "newest first" is as selective as in production.
 */
export async function loadRealisticData(urlOf: (service: string) => string, orders: number): Promise<void> {
  const customers = Math.max(10, Math.floor(orders / 10));
  const oid = (g: string) => `'01900000-0000-7000-8000-' || lpad(to_hex(${g}), 12, '0')`;
  const status = `(case when g % 100 < 90 then 'confirmed' when g % 100 < 97 then 'cancelled' when g % 100 < 99 then 'awaiting_payment' else 'pending' end)`;
  const plan: Record<string, string[]> = {
    orders: [
      `insert into customers (id, email, name, created_at) select 'c-' || g, 'c' || g || '@load.example', 'Load ' || g, '2026-01-01T00:00:00.000Z' from generate_series(1, ${customers}) g`,
      `insert into api_keys (id, customer_id, hash, created_at, revoked_at) select lpad(to_hex(g), 16, '0'), 'c-' || g, md5(g::text), '2026-01-01T00:00:00.000Z', null from generate_series(1, ${customers}) g`,
      `insert into orders (id, customer_id, status, cancellation_reason, items, priced_lines, total_cents, currency, payment_method, payment_intent_id, created_at, updated_at)
         select ${oid('g')}, 'c-' || (g % ${customers} + 1), ${status}, null, '[{"sku":"tea","quantity":1}]', '[{"sku":"tea","quantity":1,"unitPriceCents":450}]', 450, 'eur', 'pm_card_visa', 'pi_' || g,
           to_char(timestamp '2026-01-01' + g * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(timestamp '2026-01-01' + g * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
         from generate_series(1, ${orders}) g`,
      `insert into order_views (id, customer_id, status, view, updated_at)
         select id, customer_id, status, json_build_object('id', id, 'customerId', customer_id, 'status', status, 'items', priced_lines::json, 'totalCents', total_cents, 'currency', currency, 'paymentMethod', payment_method, 'createdAt', created_at, 'updatedAt', updated_at)::text, updated_at from orders on conflict (id) do nothing`,
      `insert into idempotency_keys (customer_id, key, request_hash, status_code, response, created_at) select 'c-' || (g % ${customers} + 1), 'load-' || g, md5(g::text), 202, '{}', '2026-01-01T00:00:00.000Z' from generate_series(1, ${orders}) g`,
      `insert into inbox (consumer, message_id, processed_at) select 'orders', 'm-' || g, '2026-01-01T00:00:00.000Z' from generate_series(1, ${orders}) g`,
    ],
    inventory: [
      `insert into products (sku, name, price_cents, currency, stock, updated_at) select 'sku-' || g, 'Product ' || g, 100 + g, 'eur', 1000, '2026-01-01T00:00:00.000Z' from generate_series(1, 1000) g`,
      `insert into reservations (order_id, status, lines, total_cents, currency, updated_at) select ${oid('g')}, 'reserved', '[]', 450, 'eur', '2026-01-01T00:00:00.000Z' from generate_series(1, ${orders}) g`,
      `insert into inbox (consumer, message_id, processed_at) select 'inventory', 'm-' || g, '2026-01-01T00:00:00.000Z' from generate_series(1, ${orders}) g`,
    ],
    payments: [
      `insert into payments (order_id, status, amount_cents, currency, payment_intent_id, cancelled, refund_id, updated_at) select ${oid('g')}, 'succeeded', 450, 'eur', 'pi_' || g, 0, null, '2026-01-01T00:00:00.000Z' from generate_series(1, ${orders}) g`,
      `insert into inbox (consumer, message_id, processed_at) select 'payments', 'm-' || g, '2026-01-01T00:00:00.000Z' from generate_series(1, ${orders}) g`,
    ],
    notifications: [
      `insert into emails (order_id, outcome, message_id, recipient, sent_at) select ${oid('g')}, 'confirmed', 'order-' || g || '@orderflow', 'c' || g || '@load.example', '2026-01-01T00:00:00.000Z' from generate_series(1, ${orders}) g`,
      `insert into inbox (consumer, message_id, processed_at) select 'notifications', 'm-' || g, '2026-01-01T00:00:00.000Z' from generate_series(1, ${orders}) g`,
    ],
  };
  await Promise.all(
    Object.entries(plan).map(async ([service, statements]) => {
      const c = new pg.Client({ connectionString: urlOf(service) });
      await c.connect();
      try {
        // Bulk load: no per-row WAL flush wait; the data is throwaway.
        await c.query('set synchronous_commit = off');
        for (const s of statements) await c.query(s);
        await c.query('analyze');
      } finally {
        await c.end();
      }
    }),
  );
}
