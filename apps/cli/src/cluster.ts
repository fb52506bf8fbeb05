import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError, resolveAdminKey, type Config } from '@orderflow/platform';
import { SERVICE_NAMES } from './serve.ts';
import { haproxyConfig } from './haproxy-config.ts';
import { startOpenApiServer } from './openapi-merge.ts';
import { startDashboardServer } from './dashboard-merge.ts';

const MAIN = resolve(import.meta.dirname, 'main.ts');

export interface ClusterOptions {
  config: Config;
  /** Instances of each service; default 2 (ORDERFLOW_CLUSTER_INSTANCES). */
  instances: number;
  env?: NodeJS.ProcessEnv;
  /** Restart an instance that exits unexpectedly (as an orchestrator would); default true. */
  restart?: boolean;
}

interface Instance {
  id: string;
  service: string;
  port: number;
  child?: ChildProcess;
}

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg, ...fields })}\n`);
}

/** Every child alive, so a failed start can end them all, started or not. */
const spawned = new Set<ChildProcess>();

/** Spawns a process, forwards its output lines, resolves on the first line `ready` accepts (with that line). */
function launch(args: string[], env: NodeJS.ProcessEnv, ready: (line: string) => boolean, what: string, exe = process.execPath): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(exe, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  return new Promise((res, rej) => {
    let done = false;
    const timer = setTimeout(() => !done && rej(new Error(`${what} did not start in 120 s`)), 120_000);
    const onLine = (line: string) => {
      process.stdout.write(`${line}\n`);
      if (!done && ready(line)) {
        done = true;
        clearTimeout(timer);
        res({ child, line });
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        rej(new Error(`${what} exited with ${code} while starting`));
      }
    });
    child.once('error', rej);
  });
}

const msgIs = (msg: string) => (line: string) => line.startsWith('{') && line.includes(`"msg":"${msg}"`);

async function waitForEntry(url: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the entry ${url} did not become ready in 30 s`);
}

/**
 * `orderflow cluster` (`npm run start:cluster`): the whole system as separate processes on this
 * machine — the payment simulator, `instances` of each service (`orderflow serve`), and HAProxy as
 * the one entry on ORDERFLOW_PORT. Each service creates its database, role, streams and consumers
 * itself on start. SIGTERM stops the entry, then the services (each drains), then the simulator.
 * @throws when a part does not start (HAProxy missing: `apt-get install haproxy`).
 */
export async function startCluster(opts: ClusterOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const { config } = opts;
  if (opts.instances < 1 || opts.instances > 16) throw new ConfigError('ORDERFLOW_CLUSTER_INSTANCES must be between 1 and 16');
  mkdirSync(config.dataDir, { recursive: true });
  const admin = resolveAdminKey(config.adminKey, config.dataDir);
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...opts.env, ORDERFLOW_MODE: 'distributed', ORDERFLOW_PARENT_PID: String(process.pid), ORDERFLOW_ADMIN_KEY: admin.key, ORDERFLOW_DATA_DIR: config.dataDir };
  let stopping = false;

  let simulator: ChildProcess | undefined;
  let paymentUrl = config.payment.url;
  if (!paymentUrl) {
    const started = await launch(['--import', 'tsx', MAIN, 'simulator'], baseEnv, msgIs('payment simulator started'), 'payment simulator');
    simulator = started.child;
    paymentUrl = (JSON.parse(started.line) as { url: string }).url;
  }
  const env = { ...baseEnv, ...(paymentUrl ? { ORDERFLOW_PAYMENT_URL: paymentUrl } : {}) };

  const instances: Instance[] = [];
  for (const service of SERVICE_NAMES) {
    // Port 0: each instance binds a free port itself and names it in its ready line (a port picked
    // here and bound later can be taken in between); a restart reuses the port it had.
    for (let i = 1; i <= opts.instances; i++) instances.push({ id: `${service}-${i}`, service, port: 0 });
  }

  const startInstance = async (inst: Instance): Promise<void> => {
    const started = await launch(
      ['--import', 'tsx', MAIN, 'serve', inst.service],
      { ...env, ORDERFLOW_PORT: String(inst.port), ORDERFLOW_HOST: '127.0.0.1', ORDERFLOW_INSTANCE: inst.id },
      msgIs('orderflow started'),
      inst.id,
    );
    inst.child = started.child;
    if (inst.port === 0) inst.port = Number(new URL((JSON.parse(started.line) as { url: string }).url).port);
    log('instance started', { instance: inst.id, service: inst.service, pid: inst.child.pid, port: inst.port });
    inst.child.once('exit', (code, signal) => {
      if (stopping) return;
      log('instance exited', { instance: inst.id, code, signal });
      if (opts.restart === false) return;
      setTimeout(() => void startInstance(inst).catch((e: unknown) => log('instance restart failed', { instance: inst.id, err: String(e) })), 500);
    });
  };
  try {
    await Promise.all(instances.map(startInstance));
  } catch (error) {
    stopping = true;
    for (const c of spawned) c.kill('SIGKILL');
    throw error;
  }

  const cfgFile = join(config.dataDir, 'haproxy.cfg');
  const pick = (s: string) => instances.filter((i) => i.service === s).map((i) => ({ name: i.id, port: i.port }));
  const docs = await startOpenApiServer(['orders', 'inventory'].map((s) => pick(s).map((u) => u.port)));
  const dashboard = await startDashboardServer(instances.map((i) => i.port));
  writeFileSync(
    cfgFile,
    haproxyConfig({ host: config.host, port: config.port, orders: pick('orders'), inventory: pick('inventory'), docs: { name: 'docs', port: docs.port }, dashboard: { name: 'dashboard', port: dashboard.port } }),
  );
  const proxy = spawn('haproxy', ['-db', '-f', cfgFile], { stdio: ['ignore', 'inherit', 'inherit'] });
  const proxyFailed = new Promise<never>((_, rej) => {
    proxy.once('error', (e) => rej(new Error(`haproxy failed to start (apt-get install haproxy): ${String(e)}`)));
    proxy.once('exit', (code) => !stopping && rej(new Error(`haproxy exited with ${code}`)));
  });
  proxyFailed.catch(() => undefined);
  const url = `http://${config.host}:${config.port}`;
  try {
    await Promise.race([waitForEntry(url), proxyFailed]);
  } catch (error) {
    stopping = true;
    for (const c of spawned) c.kill('SIGTERM');
    docs.server.close();
    dashboard.server.close();
    throw error;
  }
  log('cluster started', { url, paymentUrl, adminKeyFile: admin.file, instances: instances.map((i) => ({ id: i.id, pid: i.child?.pid, port: i.port })) });

  const stopChild = (c: ChildProcess | undefined) =>
    new Promise<void>((res) => {
      if (!c || c.exitCode !== null || c.signalCode !== null) return res();
      c.once('exit', () => res());
      c.kill('SIGTERM');
    });
  return {
    url,
    async stop() {
      stopping = true;
      await stopChild(proxy);
      await Promise.all(instances.map((i) => stopChild(i.child)));
      await stopChild(simulator);
      docs.server.close();
      dashboard.server.close();
      log('cluster stopped');
    },
  };
}
