import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, orderBody } from '../scenarios.ts';
import { startNode, type Child } from './child.ts';
import { registerTempDir } from './cleanup.ts';

/** orderflow in embedded mode, as a child process with its own fresh data dir. */
export interface System {
  readonly url: string;
  readonly dataDir: string;
  readonly child: Child;
  /** Stops the child (SIGTERM, then SIGKILL) and removes the data dir. */
  stop(): Promise<void>;
}

/** What the benchmark set up through the API. */
export interface Fixture {
  readonly apiKey: string;
  /** Orders created while waiting for the product to become orderable (normally 1). */
  readonly probeOrders: number;
}

const requestTimeoutMs = 10_000;

/**
 * Starts `node --import tsx apps/cli/src/main.ts start` on port 0 with a fresh temp data dir,
 * the bench admin key and the per-key rate limit off; resolves once it logs "orderflow started".
 * Throws with the child's output tail if it does not start within 60 s.
 */
export async function startSystem(opts: { env?: Readonly<Record<string, string>>; nodeArgs?: readonly string[]; dataDir?: string } = {}): Promise<System> {
  // A given data dir belongs to the caller (kept at stop); otherwise a fresh one, removed at stop.
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'orderflow-bench-')));
  const removeDir = opts.dataDir === undefined ? registerTempDir(dataDir) : async () => undefined;
  try {
    const { child, value: url } = await startNode({
      label: 'orderflow',
      args: ['apps/cli/src/main.ts', 'start'],
      env: {
        ORDERFLOW_PORT: '0',
        ORDERFLOW_DATA_DIR: dataDir,
        ORDERFLOW_ADMIN_KEY: fixture.adminKey,
        ORDERFLOW_RATE_LIMIT_PER_KEY: '0',
        ...opts.env,
      },
      nodeArgs: opts.nodeArgs ?? [],
      ready: (line) => (line.msg === 'orderflow started' && typeof line.url === 'string' ? line.url : undefined),
      readyTimeoutMs: 60_000,
    });
    const stop = async (): Promise<void> => {
      await child.stop();
      await removeDir();
    };
    return { url, dataDir, child, stop };
  } catch (err) {
    await removeDir();
    throw err;
  }
}

/**
 * Creates the bench customer and product, then places orders until one is accepted: the
 * product reaches the order service by an event, and until then an order is a 422
 * ORDER_UNKNOWN_SKU that writes nothing. Throws on any other answer or after `timeoutMs`.
 */
export async function setupFixture(url: string, timeoutMs = 30_000): Promise<Fixture> {
  const admin = { authorization: `Bearer ${fixture.adminKey}` };
  const customer = await call(url, 'POST', '/v1/customers', admin, JSON.stringify(fixture.customer), 201);
  const apiKey = customer.body.apiKey;
  if (typeof apiKey !== 'string') throw new Error(`POST /v1/customers: no apiKey in ${JSON.stringify(customer.body)}`);
  await call(url, 'PUT', `/v1/products/${fixture.sku}`, admin, JSON.stringify(fixture.product), 200, 201);

  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const headers = { authorization: `Bearer ${apiKey}`, 'idempotency-key': `bench-probe-${attempt}` };
    const res = await call(url, 'POST', '/v1/orders', headers, orderBody, 202, 422);
    if (res.status === 202) return { apiKey, probeOrders: 1 };
    if (res.body.code !== 'ORDER_UNKNOWN_SKU') throw new Error(`POST /v1/orders: 422 ${JSON.stringify(res.body)}`);
    if (Date.now() > deadline) throw new Error(`product ${fixture.sku} not orderable after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  ...expected: number[]
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  const text = await res.text();
  if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  let parsed: unknown = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // an empty or non-JSON body is fine where only the status matters
  }
  return { status: res.status, body: typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {} };
}
