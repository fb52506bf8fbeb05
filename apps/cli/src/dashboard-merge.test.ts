import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { DashboardData } from '@orderflow/platform';
import { mergeDashboardData, startDashboardServer, type ClusterDashboardData } from './dashboard-merge.ts';

const KEY = 'test-admin-key';
const bearer = `Bearer ${KEY}`;
const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

const second = (t: number, requests: number, p99Ms: number) => ({ t, requests, p50Ms: p99Ms / 4, p95Ms: p99Ms / 2, p99Ms });
const slow = (traceId: string, totalMs: number) => ({ traceId, route: '/v1/orders', method: 'POST', status: 202, customerId: undefined, orderId: undefined, startedAt: '2026-01-01T00:00:00Z', requestMs: 5, totalMs, slowestSpan: undefined }) as unknown as DashboardData['slowest'][number];

/** What an orders instance and a payments instance report, shaped like `/dashboard/data`. */
const ORDERS: DashboardData = {
  now: 1_000,
  series: [second(10_000, 3, 40), second(11_000, 5, 20), second(12_000, 1, 10)],
  ordersByStatus: { pending: 4, confirmed: 2 },
  outbox: [{ service: 'orders', pending: 3, oldestAgeS: 0.5 }],
  consumers: [{ consumer: 'orders', lag: 7, dead: 1 }],
  breakers: [
    { dependency: 'payment_provider', state: 0 },
    { dependency: 'broker', state: 0 },
  ],
  slowest: [slow('t1', 90), slow('t2', 30)],
};
const ORDERS_2: DashboardData = { ...ORDERS, now: 1_500, ordersByStatus: { pending: 1, cancelled: 1 }, outbox: [{ service: 'orders', pending: 2, oldestAgeS: 0.9 }], consumers: [{ consumer: 'orders', lag: 6, dead: 1 }] };
const PAYMENTS: DashboardData = {
  now: 1_200,
  series: [second(10_000, 2, 80), second(11_000, 0, 0)],
  ordersByStatus: {},
  outbox: [{ service: 'payments', pending: 0, oldestAgeS: 0 }],
  consumers: [{ consumer: 'payments', lag: 2, dead: 0 }],
  breakers: [
    { dependency: 'payment_provider', state: 2 },
    { dependency: 'smtp', state: 1 },
    { dependency: 'broker', state: 0 },
  ],
  slowest: [slow('t1', 90), slow('t3', 60)],
};

describe('mergeDashboardData', () => {
  test('sums throughput and orders, keeps the worst percentile, the backlog per service and consumer, the worst breaker', () => {
    const m = mergeDashboardData([ORDERS, ORDERS_2, PAYMENTS]);
    assert.equal(m.now, 1_500);
    // 12_000 is complete on the orders instances only: left out, not shown as a dip.
    assert.deepEqual(m.series, [second(10_000, 8, 80), { t: 11_000, requests: 10, p50Ms: 5, p95Ms: 10, p99Ms: 20 }]);
    assert.deepEqual(m.ordersByStatus, { pending: 5, confirmed: 2, cancelled: 1 });
    assert.deepEqual(m.outbox, [
      { service: 'orders', pending: 3, oldestAgeS: 0.9 },
      { service: 'payments', pending: 0, oldestAgeS: 0 },
    ]);
    assert.deepEqual(m.consumers, [
      { consumer: 'orders', lag: 7, dead: 1 },
      { consumer: 'payments', lag: 2, dead: 0 },
    ]);
    assert.deepEqual(m.breakers, [
      { dependency: 'broker', state: 0 },
      { dependency: 'payment_provider', state: 2 },
      { dependency: 'smtp', state: 1 },
    ]);
    assert.deepEqual(
      m.slowest.map((r) => r.traceId),
      ['t1', 't3'],
    );
  });

  test('refuses to merge nothing', () => {
    assert.throws(() => mergeDashboardData([]), /no dashboard data/);
  });
});

/** A stand-in instance: the admin key as Bearer or Basic password, as the real route checks it. */
function instance(data: DashboardData, opts: { key?: string } = {}): Promise<Server> {
  const key = opts.key ?? KEY;
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const m = /^Basic (.+)$/.exec(auth);
    const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':').slice(1).join(':') : auth.replace(/^Bearer /, '');
    if (req.url !== '/dashboard/data') return void res.writeHead(404).end();
    if (given !== key) {
      res.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Basic realm="orderflow dashboard", charset="UTF-8"' });
      return void res.end(JSON.stringify({ status: 401, code: 'UNAUTHENTICATED' }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(data));
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}
const portOf = (s: Server) => (s.address() as { port: number }).port;
/** Closes a server and the keep-alive connections fetch left open to it. */
const shut = (s: Server) => {
  s.close();
  s.closeAllConnections();
};

describe('the cluster dashboard server', () => {
  const servers: Server[] = [];
  let entry: { port: number; server: Server };
  let url: string;
  let deadPort: number;

  before(async () => {
    servers.push(await instance(ORDERS), await instance(ORDERS_2), await instance(PAYMENTS));
    // A port nothing listens on: an instance that is down.
    const gone = await instance(PAYMENTS);
    deadPort = portOf(gone);
    await new Promise((r) => gone.close(r));
    entry = await startDashboardServer([...servers.map(portOf), deadPort]);
    url = `http://127.0.0.1:${entry.port}/dashboard/data`;
  });

  after(async () => {
    for (const s of [entry.server, ...servers]) shut(s);
  });

  test('answers an admin (Bearer or Basic) with every live instance merged and says how many answered', async () => {
    for (const authorization of [bearer, basic(KEY)]) {
      const res = await fetch(url, { headers: { authorization } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = (await res.json()) as ClusterDashboardData;
      assert.deepEqual(body.instances, { answered: 3, total: 4 });
      assert.deepEqual(
        body.breakers.map((b) => [b.dependency, b.state]),
        [
          ['broker', 0],
          ['payment_provider', 2],
          ['smtp', 1],
        ],
      );
      assert.deepEqual(
        body.consumers.map((c) => c.consumer),
        ['orders', 'payments'],
      );
    }
  });

  test('without the key, or with a wrong one, the instances’ refusal is the answer', async () => {
    for (const headers of [{}, { authorization: basic('nope') }, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const res = await fetch(url, { headers });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
      assert.equal(((await res.json()) as { code: string }).code, 'UNAUTHENTICATED');
    }
  });

  test('fails closed when any instance refuses the key the others accept', async () => {
    const odd = await instance(ORDERS, { key: 'another-key' });
    const mixed = await startDashboardServer([portOf(servers[0]!), portOf(odd)]);
    try {
      const res = await fetch(`http://127.0.0.1:${mixed.port}/dashboard/data`, { headers: { authorization: bearer } });
      assert.equal(res.status, 401);
      assert.doesNotMatch(await res.text(), /ordersByStatus/);
    } finally {
      shut(mixed.server);
      shut(odd);
    }
  });

  test('503 NOT_READY when no instance answers', async () => {
    const none = await startDashboardServer([deadPort]);
    try {
      const res = await fetch(`http://127.0.0.1:${none.port}/dashboard/data`, { headers: { authorization: bearer } });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal(((await res.json()) as { code: string }).code, 'NOT_READY');
    } finally {
      shut(none.server);
    }
  });
});
