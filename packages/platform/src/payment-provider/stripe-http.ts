import { Pool } from 'undici';
import { PaymentProviderError } from './payment-provider-errors.ts';

/** A provider answer: status, parsed JSON body (undefined when not JSON) and headers. */
export interface StripeAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface StripeHttpOptions {
  baseUrl: string;
  secretKey: string;
  timeoutMs: number;
  maxConnections: number;
}

export interface StripeHttp {
  /** One request; a form `body` is sent url-encoded. Throws PaymentProviderError on no answer. */
  send(
    method: 'GET' | 'POST',
    path: string,
    opts: { form?: URLSearchParams; idempotencyKey?: string; signal?: AbortSignal | undefined },
  ): Promise<StripeAnswer>;
  close(): Promise<void>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A keep-alive connection pool to one Stripe-compatible base URL. Every request has an
 * overall deadline of `timeoutMs` (connect, headers and body together); a missed deadline
 * is `PAYMENT_PROVIDER_TIMEOUT`, the caller's abort is `PAYMENT_PROVIDER_ABORTED`, any other
 * transport failure is `PAYMENT_PROVIDER_UNAVAILABLE`.
 */
export function createStripeHttp(opts: StripeHttpOptions): StripeHttp {
  const base = new URL(opts.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, { connections: opts.maxConnections });

  return {
    async send(method, path, { form, idempotencyKey, signal }) {
      if (signal?.aborted) {
        throw new PaymentProviderError('PAYMENT_PROVIDER_ABORTED', `${method} ${path} aborted before it was sent`, { cause: signal.reason });
      }
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new Error(`no answer within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      const onAbort = (): void => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const headers: Record<string, string> = { authorization: `Bearer ${opts.secretKey}`, accept: 'application/json' };
      if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      try {
        const res = await pool.request({
          method,
          path: prefix + path,
          headers,
          body: form?.toString(),
          signal: controller.signal,
        });
        const text = await res.body.text();
        return { status: res.statusCode, body: parseJson(text), headers: res.headers };
      } catch (err) {
        if (timedOut) {
          throw new PaymentProviderError('PAYMENT_PROVIDER_TIMEOUT', `${method} ${path}: no answer within ${opts.timeoutMs} ms`, { cause: err });
        }
        if (signal?.aborted) {
          throw new PaymentProviderError('PAYMENT_PROVIDER_ABORTED', `${method} ${path} aborted by the caller`, { cause: signal.reason });
        }
        throw new PaymentProviderError('PAYMENT_PROVIDER_UNAVAILABLE', `${method} ${path} failed: ${(err as Error).message}`, { cause: err });
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    },
    close: () => pool.close(),
  };
}
