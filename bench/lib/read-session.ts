import { orderBody } from '../scenarios.ts';
import { setupFixture, startSystem, type Fixture, type System } from './system.ts';

/** The read-your-writes window the read benchmarks run with, so setup need not wait the default 10 s. */
export const benchReadYourWritesMs = 500;

/** A started orderflow with orders in place to read. */
export interface ReadSession {
  readonly system: System;
  readonly fixture: Fixture;
  /** Paths `/v1/orders/<id>` of the orders placed at setup, all confirmed. */
  readonly orderPaths: readonly string[];
  readonly auth: Readonly<Record<string, string>>;
  /** Cache hits and misses of `cache` so far, from /metrics. */
  cacheCounts(cache?: string): Promise<{ hits: number; misses: number }>;
  close(): Promise<void>;
}

/**
 * Starts orderflow (cache on or off), places `orders` orders through the API (16 at a time), waits
 * until each is confirmed, then until the read-your-writes window has passed,
 * so the reads measured are what any other reader would get.
 */
export async function openReadSession(opts: { cache: 'on' | 'off'; orders: number; env?: Record<string, string>; dataDir?: string }): Promise<ReadSession> {
  const system = await startSystem({ env: { ORDERFLOW_CACHE: opts.cache, ORDERFLOW_READ_YOUR_WRITES_MS: String(benchReadYourWritesMs), ...opts.env }, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  try {
    const fx = await setupFixture(system.url);
    const auth = { authorization: `Bearer ${fx.apiKey}` };
    const ids: string[] = [];
    let n = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (n < opts.orders) {
          n++;
          const res = await fetch(new URL('/v1/orders', system.url), { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': `read-setup-${n}-${Math.random()}` }, body: orderBody });
          if (res.status !== 202) throw new Error(`setup order: ${res.status} ${await res.text()}`);
          ids.push(((await res.json()) as { id: string }).id);
        }
      }),
    );
    const deadline = Date.now() + 120_000;
    for (const id of ids) {
      for (;;) {
        const res = await fetch(new URL(`/v1/orders/${id}`, system.url), { headers: auth });
        if (((await res.json()) as { status?: string }).status === 'confirmed') break;
        if (Date.now() > deadline) throw new Error(`order ${id} not confirmed in the read model after 120 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await new Promise((r) => setTimeout(r, benchReadYourWritesMs + 100));
    const cacheCounts = async (cache = 'orders') => {
      const text = await (await fetch(new URL('/metrics', system.url))).text();
      const read = (name: string) => Number(new RegExp(`^${name}\\{cache="${cache}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return { hits: read('orderflow_cache_hits_total'), misses: read('orderflow_cache_misses_total') };
    };
    return { system, fixture: fx, orderPaths: ids.map((id) => `/v1/orders/${id}`), auth, cacheCounts, close: () => system.stop() };
  } catch (err) {
    await system.stop();
    throw err;
  }
}
