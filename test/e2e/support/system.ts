import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface SystemProcess {
  url: string;
  paymentUrl: string;
  adminKey: string;
  dataDir: string;
  child: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown code runs. */
  kill(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  adminKey?: string;
}

/** A fresh data directory, removed by the returned cleanup. */
export function tempDataDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-e2e-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the real `orderflow start` process (embedded mode) on a free port and waits until it serves. */
export async function startSystem(opts: StartOptions = {}): Promise<SystemProcess> {
  const dataDir = opts.dataDir ?? tempDataDir().dir;
  const adminKey = opts.adminKey ?? 'test-admin-key';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/cli/src/main.ts'), 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ORDERFLOW_PORT: '0',
      ORDERFLOW_DATA_DIR: dataDir,
      ORDERFLOW_ADMIN_KEY: adminKey,
      ORDERFLOW_LOG_LEVEL: 'info',
      ORDERFLOW_BROKER_BACKOFF_BASE_MS: '20',
      ORDERFLOW_BROKER_BACKOFF_CAP_MS: '500',
      ORDERFLOW_BROKER_MAX_ATTEMPTS: '4',
      ORDERFLOW_BROKER_POLL_MS: '50',
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
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`orderflow did not start in 30 s:\n${logs.slice(-20).join('\n')}`)), 30_000);
    createInterface({ input: child.stderr! }).on('line', (l) => logs.push(l));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (!line.startsWith('{')) return;
      const rec = JSON.parse(line) as { msg?: string; url?: string; paymentUrl?: string };
      if (rec.msg === 'orderflow started' && rec.url) url = rec.url;
      if (rec.msg === 'embedded mode' && rec.paymentUrl) paymentUrl = rec.paymentUrl;
      if (url && paymentUrl) {
        clearTimeout(timer);
        resolveStart();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`orderflow exited with ${code} before starting:\n${logs.slice(-20).join('\n')}`));
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
      child.kill('SIGKILL');
      await exited;
    },
  };
}
