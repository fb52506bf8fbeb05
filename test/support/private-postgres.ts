import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgBinDir } from './pg-replica-pair.ts';

/** A PostgreSQL server of a test's own: its own data directory and port, removed after. */
export interface PrivatePostgres {
  readonly port: number;
  /** Superuser URL (trust auth) to its `postgres` database. */
  readonly url: string;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is back when this resolves. */
  restart(): void;
  stop(): void;
  /** Stops it (if running) and deletes its directory. */
  remove(): void;
}

/**
 * initdb + pg_ctl start on `port` in a temp directory. PostgreSQL refuses to run as root, so
 * under root the server runs as the `postgres` user (runuser); otherwise as the current user.
 * fsync is off: the server's data is thrown away after the test anyway.
 * @throws when the binaries are missing or the server does not start.
 */
export function startPrivatePostgres(port: number): PrivatePostgres {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-pg-'));
  const data = join(dir, 'data');
  const asServer = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asServer.length > 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (exe: string, args: string[]): void => {
    const [cmd, ...rest] = [...asServer, join(bin, exe), ...args];
    const r = spawnSync(cmd!, rest, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${exe} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  const ctl = (action: string, extra: string[] = []) =>
    run('pg_ctl', [action, '-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), ...extra, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`]);
  let running = false;
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    ctl('start');
    running = true;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => ctl('restart', ['-m', 'fast']),
    stop() {
      if (running) run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']);
      running = false;
    },
    remove() {
      try {
        this.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
