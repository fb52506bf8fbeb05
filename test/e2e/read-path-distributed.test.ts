import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { serviceDatabaseUrl } from '@orderflow/platform';
import { MODE } from './support/system.ts';
import { apiClient, placeWhenOrderable, waitForStatus, type ApiClient } from './support/client.ts';
import { startInProcessSystem, type InProcessSystem } from '../support/in-process-system.ts';
import { startReplicaPair, type ReplicaPair } from '../support/pg-replica-pair.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { REDIS_URL, until } from '../support/distributed.ts';

/**
 * Distributed mode with a real streaming replica for the orders database (a throwaway primary and
 * its pg_basebackup copy) and Redis behind a fault proxy: list reads are served by the replica,
 * a replica that falls behind or goes down is skipped, the owner reads their own writes, and a
 * Redis that is cut costs no request. (Runs once; the cluster e2e mode starts its own system.)
 */
describe('read path in distributed mode: replica, lag, read-your-writes, Redis down', { skip: MODE === 'cluster' }, () => {
  let pair: ReplicaPair;
  let proxy: FaultProxy;
  let sys: InProcessSystem;
  let api: ApiClient;
  let ordersDb = '';
  let ann: { id: string; apiKey: string };

  before(async () => {
    pair = await startReplicaPair();
    const redis = new URL(REDIS_URL);
    proxy = await startFaultProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    sys = await startInProcessSystem((ns) => ({
      ORDERFLOW_POSTGRES_URL: pair.primaryUrl(),
      ORDERFLOW_POSTGRES_REPLICA_URL_ORDERS: serviceDatabaseUrl(pair.replicaUrl(), { database: `${ns}_orders`, role: `${ns}_orders` }),
      ORDERFLOW_REDIS_URL: `redis://${proxy.host}:${proxy.port}`,
      ORDERFLOW_REPLICA_MAX_LAG_MS: '500',
      ORDERFLOW_READ_YOUR_WRITES_MS: '5000',
    }));
    ordersDb = `${sys.ns}_orders`;
    api = apiClient(sys.url);
    ann = await api.createCustomer(sys.adminKey);
    await api.putProduct(sys.adminKey, 'dist-tea', { priceCents: 450, stock: 1000 });
  });

  after(async () => {
    await sys?.cleanup();
    await proxy?.close();
    await pair?.close();
  });

  const onReplica = async <T>(q: string, values: unknown[] = []): Promise<T[]> => {
    const c = new pg.Client({ connectionString: pair.replicaUrl(ordersDb) });
    await c.connect();
    try {
      return (await c.query(q, values)).rows as T[];
    } finally {
      await c.end();
    }
  };
  const replicaCommits = async () => Number((await onReplica<{ n: string }>('select xact_commit as n from pg_stat_database where datname = $1', [ordersDb]))[0]!.n);
  const body = { items: [{ sku: 'dist-tea', quantity: 1 }], paymentMethod: 'pm_card_visa' };

  test('list reads are served by the replica once it has the order', async () => {
    const placed = await placeWhenOrderable(api, ann.apiKey, body);
    await waitForStatus(api, ann.apiKey, placed.body.id, ['confirmed']);
    await until(async () => (await onReplica('select 1 from order_views where id = $1 and status = $2', [placed.body.id, 'confirmed'])).length === 1, 10_000, 'replica has the view');
    const before = await replicaCommits();
    for (let i = 0; i < 20; i++) {
      const list = await api.listOrders(sys.adminKey, '?status=confirmed&limit=5');
      assert.equal(list.status, 200);
      assert.ok(list.body.items.some((o: { id: string }) => o.id === placed.body.id));
    }
    await until(async () => (await replicaCommits()) - before >= 20, 15_000, 'the replica counted the list reads');
  });

  test('with replay paused the owner still reads their writes, and after the lag bound every reader gets the primary', async () => {
    await pair.pauseReplay();
    try {
      const placed = await api.placeOrder(ann.apiKey, body);
      assert.equal(placed.status, 202);
      const [own, ownList] = await Promise.all([api.getOrder(ann.apiKey, placed.body.id), api.listOrders(ann.apiKey, '?limit=1')]);
      assert.equal(own.status, 200);
      assert.equal(ownList.body.items[0].id, placed.body.id, 'read-your-writes: the primary answered');
      await new Promise((r) => setTimeout(r, 1_500)); // past the 500 ms lag bound
      assert.equal((await onReplica('select 1 from orders where id = $1', [placed.body.id])).length, 0, 'the replica really is behind');
      const admin = await api.listOrders(sys.adminKey, '?limit=5');
      assert.ok(admin.body.items.some((o: { id: string }) => o.id === placed.body.id), 'a lagging replica is not read from');
    } finally {
      await pair.resumeReplay();
    }
  });

  test('Redis cut off: reads, writes, invalidations and read-your-writes go on without a single error', async () => {
    const warm = await placeWhenOrderable(api, ann.apiKey, body);
    await waitForStatus(api, ann.apiKey, warm.body.id, ['confirmed']);
    proxy.set({ refuse: true });
    proxy.resetAll();
    const statuses: number[] = [];
    const placed = await api.placeOrder(ann.apiKey, body);
    statuses.push(placed.status);
    const got = await api.getOrder(ann.apiKey, placed.body.id);
    statuses.push(got.status);
    const confirmed = await waitForStatus(api, ann.apiKey, placed.body.id, ['confirmed']);
    assert.equal(confirmed.totalCents, 450);
    const c = await api.cancelOrder(ann.apiKey, placed.body.id);
    statuses.push(c.status);
    assert.equal((await api.getOrder(ann.apiKey, placed.body.id)).body.status, 'cancelled');
    await api.putProduct(sys.adminKey, 'dist-tea', { priceCents: 500, stock: 1000 });
    const product = await api.getProduct('dist-tea');
    statuses.push(product.status);
    assert.equal(product.body.priceCents, 500);
    assert.deepEqual(statuses, [202, 200, 202, 200]);
    proxy.heal();
    await until(async () => (await api.getProduct('dist-tea')).body.priceCents === 500, 5_000, 'served after Redis is back');
  });

  test('a replica that goes down costs only speed', async () => {
    await pair.stopReplica();
    for (let i = 0; i < 5; i++) {
      const list = await api.listOrders(sys.adminKey, '?limit=3');
      assert.equal(list.status, 200);
      assert.equal(list.body.items.length, 3);
    }
  });
});
