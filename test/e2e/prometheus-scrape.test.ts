import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsTargets, startSystem, tempDataDir, type SystemProcess } from './support/system.ts';

const PROMETHEUS = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('a real Prometheus server scrapes /metrics', { skip: !existsSync(PROMETHEUS) && !process.env.CI ? 'prometheus is not installed (.ci/run installs it)' : false }, () => {
  let sys: SystemProcess;
  let prom: ChildProcess;
  let promUrl: string;
  let dir: string;
  let cleanup: () => Promise<void>;
  const promLog: string[] = [];

  before(async () => {
    const d = tempDataDir();
    cleanup = d.cleanup;
    sys = await startSystem({ dataDir: d.dir });
    dir = mkdtempSync(join(tmpdir(), 'orderflow-prometheus-'));
    // Every orderflow process is a target (docs/observability.md): the one process, or each instance of a cluster.
    const targets = metricsTargets(sys).map((u) => `'${new URL(u).host}'`);
    // The scrape config the README shows, with a short interval for the test.
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: orderflow\n    metrics_path: /metrics\n    static_configs:\n      - targets: [${targets.join(', ')}]\n`,
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stderr!.on('data', (c: Buffer) => promLog.push(c.toString()));
  });

  after(async () => {
    if (prom && prom.exitCode === null) {
      prom.kill('SIGTERM');
      await new Promise((r) => prom.once('exit', r));
    }
    await sys?.stop();
    await cleanup?.();
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }> | undefined> {
    try {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      if (!res.ok) return undefined;
      return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    } catch {
      return undefined;
    }
  }

  test('every target is up and orderflow series are stored', async () => {
    const targets = metricsTargets(sys).length;
    const deadline = Date.now() + 30_000;
    let up: Awaited<ReturnType<typeof query>>;
    const allUp = () => up?.length === targets && up.every((r) => r.value[1] === '1');
    while (Date.now() < deadline) {
      up = await query('up{job="orderflow"}');
      if (allUp()) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(allUp(), `${targets} targets up (${JSON.stringify(up)}); prometheus said:\n${promLog.join('').slice(-2000)}`);
    // Each service's outbox is reported (in a cluster by every instance of that service).
    const outbox = await query('orderflow_outbox_pending');
    assert.deepEqual([...new Set(outbox?.map((r) => r.metric.service))].sort(), ['inventory', 'notifications', 'orders', 'payments']);
    const breaker = await query('max(orderflow_circuit_breaker_state{dependency="payment_provider"})');
    assert.equal(breaker?.[0]?.value[1], '0');
    assert.equal(((await query('nodejs_eventloop_lag_p99_seconds')) ?? []).length, targets, 'one event loop per process');
  });
});
