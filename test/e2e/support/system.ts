import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { createEmbeddedBroker, createNatsBroker, type Broker } from '@orderflow/platform';
import { NATS_URL, deleteNatsPrefix, deleteRedisPrefix, dropPgPrefix } from '../../support/distributed.ts';
import { freePort } from '../../support/free-port.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * `embedded` (default): `orderflow start`, one process on SQLite. `cluster` (ORDERFLOW_E2E_MODE=cluster,
 * `npm run test:e2e:cluster`): `orderflow cluster`, two instances of each service on PostgreSQL and
 * NATS behind HAProxy. The same test files run in both.
 */
export const MODE: 'embedded' | 'cluster' = process.env.ORDERFLOW_E2E_MODE === 'cluster' ? 'cluster' : 'embedded';

/** This data directory's own namespace on the shared servers: databases, roles, streams (same dir, same names). */
export function namespaceOf(dataDir: string): string {
  return `of_e${createHash('sha256').update(dataDir).digest('hex').slice(0, 10)}`;
}


export interface SystemProcess {
  url: string;
  paymentUrl: string;
  adminKey: string;
  dataDir: string;
  child: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown code runs (in cluster mode: every process of the cluster at once). */
  kill(): Promise<void>;
  /** A second client of the system's broker, as another process would have. Close it after use. */
  outsideBroker(): Promise<Broker>;
  /** Cluster mode: the service instances, by id (`orders-1`…), with their pids. */
  instances: Array<{ id: string; pid: number; port: number }>;
}

export interface StartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  adminKey?: string;
  /** Overrides MODE (the benchmark starts a cluster whatever the suite's mode). */
  mode?: 'embedded' | 'cluster';
}

/** A fresh data directory, removed by the returned cleanup (in cluster mode with its databases, streams and Redis keys). */
export function tempDataDir(mode: 'embedded' | 'cluster' = MODE): { dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-e2e-'));
  return {
    dir,
    cleanup: async () => {
      rmSync(dir, { recursive: true, force: true });
      if (mode === 'cluster') {
        const ns = namespaceOf(dir);
        await dropPgPrefix(`${ns}_`);
        await deleteNatsPrefix(ns);
        await deleteRedisPrefix(`${ns}:`);
      }
    },
  };
}

/**
 * Starts the real system on a free port and waits until it serves: `orderflow start` (embedded) or
 * `orderflow cluster` (cluster mode, see MODE).
 */
export async function startSystem(opts: StartOptions = {}): Promise<SystemProcess> {
  const dataDir = opts.dataDir ?? tempDataDir().dir;
  const adminKey = opts.adminKey ?? 'test-admin-key';
  const ns = namespaceOf(dataDir);
  const cluster = (opts.mode ?? MODE) === 'cluster';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/cli/src/main.ts'), cluster ? 'cluster' : 'start'], {
    cwd: ROOT,
    // Its own process group in cluster mode, so kill() takes every process of it at once.
    detached: cluster,
    env: {
      ...process.env,
      ORDERFLOW_PORT: cluster ? String(await freePort()) : '0',
      ORDERFLOW_DATA_DIR: dataDir,
      ORDERFLOW_ADMIN_KEY: adminKey,
      ORDERFLOW_LOG_LEVEL: 'info',
      ORDERFLOW_BROKER_BACKOFF_BASE_MS: '20',
      ORDERFLOW_BROKER_BACKOFF_CAP_MS: '500',
      ORDERFLOW_BROKER_MAX_ATTEMPTS: '4',
      ORDERFLOW_BROKER_POLL_MS: '50',
      ORDERFLOW_POSTGRES_DB_PREFIX: `${ns}_`,
      ORDERFLOW_NATS_PREFIX: ns,
      ORDERFLOW_REDIS_PREFIX: `${ns}:`,
      ORDERFLOW_NATS_ACK_WAIT_MS: '5000',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test file that ends early must not leave the process running (tests also kill it in finally/after).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const logs: string[] = [];
  let url = '';
  let paymentUrl = '';
  let instances: SystemProcess['instances'] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolveStart, reject) => {
    const limitMs = cluster ? 120_000 : 30_000;
    const timer = setTimeout(() => {
      // Leave nothing running behind a failed start.
      if (cluster) process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
      reject(new Error(`orderflow did not start in ${limitMs} ms:\n${logs.slice(-20).join('\n')}`));
    }, limitMs);
    createInterface({ input: child.stderr! }).on('line', (l) => logs.push(l));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (!line.startsWith('{')) return;
      const rec = JSON.parse(line) as { msg?: string; url?: string; paymentUrl?: string; instances?: SystemProcess['instances'] };
      if (cluster) {
        if (rec.msg === 'cluster started' && rec.url && rec.paymentUrl) {
          url = rec.url;
          paymentUrl = rec.paymentUrl;
          instances = rec.instances ?? [];
        }
      } else {
        if (rec.msg === 'orderflow started' && rec.url) url = rec.url;
        if (rec.msg === 'embedded mode' && rec.paymentUrl) paymentUrl = rec.paymentUrl;
      }
      if (url && paymentUrl) {
        clearTimeout(timer);
        resolveStart();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      // A signal (code null) names who ended it: our own kill, or something outside the test.
      reject(new Error(`orderflow exited with ${code ?? child.signalCode} before starting:\n${logs.slice(-20).join('\n')}`));
    });
  });
  return {
    url,
    paymentUrl,
    adminKey,
    dataDir,
    child,
    logs,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null) return;
      if (cluster) process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
      await exited;
    },
    get instances() {
      return instances;
    },
    outsideBroker: () =>
      cluster ? createNatsBroker({ url: NATS_URL, prefix: ns }) : Promise.resolve(createEmbeddedBroker({ file: join(dataDir, 'broker.db') })),
  };
}

/**
 * The base URLs whose `/metrics` together cover the whole system: the one process in embedded mode,
 * every service instance in cluster mode (each counts only its own; the entry shows one of them).
 */
export function metricsTargets(sys: SystemProcess): string[] {
  return sys.instances.length > 0 ? sys.instances.map((i) => `http://127.0.0.1:${i.port}`) : [sys.url];
}

/** One Prometheus text per metrics target (see metricsTargets), as a scraper would collect them. */
export async function scrapeAll(sys: SystemProcess): Promise<string[]> {
  return Promise.all(
    metricsTargets(sys).map(async (base) => {
      const res = await fetch(`${base}/metrics`);
      if (res.status !== 200) throw new Error(`${base}/metrics: ${res.status}`);
      return res.text();
    }),
  );
}
