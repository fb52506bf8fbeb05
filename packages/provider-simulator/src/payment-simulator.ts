import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { parseForm, readBody, writeReply } from './http-io.ts';
import { createIdempotencyGate } from './idempotency-gate.ts';
import { route, type RoutedRequest } from './routes.ts';
import { HANG, type SimContext } from './sim-context.ts';
import { checkKnobs, type SimulatorKnobs } from './simulator-knobs.ts';
import { openSimulatorStore } from './simulator-store.ts';
import { apiError, invalidRequest, unauthorized } from './stripe-errors.ts';

/** How long a `commitThenTimeoutNext` request holds its socket before dropping it. */
const HANG_MS = 60_000;

export interface PaymentSimulatorOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Port; default 0 (a free port, see `url`). */
  port?: number;
  /** When set, every request must carry `Authorization: Bearer <secretKey>`, else 401. Default: no auth. */
  secretKey?: string;
  /** Delay in ms before each executed charge or refund is answered. Default 0. */
  latencyMs?: number;
  /** Share (0..1) of charge requests answered 500 `api_error` with no charge made and nothing stored. Default 0. */
  failureRate?: number;
  /**
   * SQLite file keeping payment intents, refunds and idempotency records across restarts
   * (its directory is created). Default: state in memory, lost on close.
   */
  dataFile?: string;
}

export interface PaymentSimulator {
  /** Base URL, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  url: string;
  /** Changes knobs at run time; omitted fields keep their value. @throws RangeError on a bad value. */
  setKnobs(k: Partial<SimulatorKnobs>): void;
  /** A copy of the current knobs. */
  knobs(): SimulatorKnobs;
  /** Stops listening, drops open connections (hung ones too) and closes the store. */
  close(): Promise<void>;
}

async function toRoutedRequest(req: IncomingMessage, url: URL): Promise<RoutedRequest | undefined> {
  const method = req.method ?? 'GET';
  const key = req.headers['idempotency-key'];
  const routed: RoutedRequest = {
    method,
    path: url.pathname,
    query: url.searchParams,
    form: new Map(),
    idempotencyKey: Array.isArray(key) ? key[0] : key,
  };
  if (method !== 'POST') return routed;
  const text = await readBody(req);
  if (text === undefined) return undefined;
  if (url.pathname.startsWith('/__simulator/')) {
    try {
      routed.json = text === '' ? {} : (JSON.parse(text) as unknown);
    } catch {
      routed.json = null;
    }
  } else {
    routed.form = parseForm(text);
  }
  return routed;
}

/** Holds sockets that must never be answered, each dropped after `HANG_MS` or on close. */
function createHangTracker(): { hang(res: ServerResponse): void; clear(): void } {
  const timers = new Set<NodeJS.Timeout>();
  return {
    hang(res) {
      const timer = setTimeout(() => res.socket?.destroy(), HANG_MS);
      timers.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    },
    clear() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/** Listens and returns the base URL. */
async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
}

/**
 * Starts a Stripe-compatible payment provider on loopback: `POST /v1/payment_intents`
 * (confirm=true), `POST /v1/refunds`, `GET` of both (one and list; the list filters
 * `metadata_order_id` and `payment_intent` are simulator extensions), and the run-time
 * controls `GET|POST /__simulator/knobs` (JSON) and `GET /__simulator/stats`.
 * Stripe's test payment methods choose the outcome (`pm_card_visa` succeeds,
 * `pm_card_chargeDeclined` declines, any other `pm_card_*` succeeds).
 * @throws RangeError for an out-of-range knob option; the listen error (e.g. `EADDRINUSE`);
 *   the SQLite error when `dataFile` cannot be opened.
 */
export async function startPaymentSimulator(opts: PaymentSimulatorOptions = {}): Promise<PaymentSimulator> {
  const knobs: SimulatorKnobs = { latencyMs: 0, failureRate: 0, commitThenTimeoutNext: 0 };
  Object.assign(knobs, checkKnobs({ latencyMs: opts.latencyMs, failureRate: opts.failureRate }));
  if (opts.dataFile) mkdirSync(dirname(opts.dataFile), { recursive: true });
  const store = openSimulatorStore(opts.dataFile);
  const ctx: SimContext = { store, gate: createIdempotencyGate(store), knobs };
  const hangs = createHangTracker();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (opts.secretKey !== undefined && req.headers.authorization !== `Bearer ${opts.secretKey}`) {
      return writeReply(res, unauthorized());
    }
    const routed = await toRoutedRequest(req, new URL(req.url ?? '/', 'http://simulator'));
    if (!routed) return writeReply(res, { ...invalidRequest('Request body too large.'), status: 413 });
    const result = await route(ctx, routed);
    if (result === HANG) return hangs.hang(res);
    if (routed.method === 'POST' && routed.idempotencyKey !== undefined) {
      result.headers = { 'idempotency-key': routed.idempotencyKey, ...result.headers };
    }
    writeReply(res, result);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) writeReply(res, apiError(`Simulator fault: ${(err as Error).message}`));
      else res.destroy();
    });
  });

  let url: string;
  try {
    url = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');
  } catch (err) {
    store.close();
    throw err;
  }

  return {
    url,
    setKnobs: (k) => void Object.assign(knobs, checkKnobs(k)),
    knobs: () => ({ ...knobs }),
    close: async () => {
      hangs.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}
