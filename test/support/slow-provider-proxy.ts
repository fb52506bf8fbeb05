import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowProxy {
  url: string;
  /** Requests that were held back. */
  delayed: number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a payment provider that holds back every request whose
 * form body names `paymentMethod` by `delayMs`: one payment method (one customer's card) gets a
 * slow provider, everything else passes straight through.
 */
export async function startSlowProviderProxy(opts: { target: string; paymentMethod: string; delayMs: number }): Promise<SlowProxy> {
  const state = { delayed: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      try {
        if (new URLSearchParams(body.toString()).get('payment_method') === opts.paymentMethod) {
          state.delayed += 1;
          await new Promise((r) => setTimeout(r, opts.delayMs));
        }
        const headers: Record<string, string> = {};
        for (const h of ['authorization', 'idempotency-key', 'content-type']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
        const answer = await fetch(new URL(req.url ?? '/', opts.target), { method: req.method ?? 'GET', headers, ...(req.method === 'GET' ? {} : { body }) });
        const out: Record<string, string> = { 'content-type': answer.headers.get('content-type') ?? 'application/json' };
        const retry = answer.headers.get('stripe-should-retry');
        if (retry) out['stripe-should-retry'] = retry;
        res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
      } catch (error) {
        res.writeHead(502).end(String(error));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get delayed() {
      return state.delayed;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
