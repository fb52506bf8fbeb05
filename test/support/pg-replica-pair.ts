import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/** The PostgreSQL server binaries (Debian keeps them under /usr/lib/postgresql/<major>/bin). */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'pg_basebackup'))).sort((a, b) => Number(b) - Number(a));
  return majors[0] ? join(root, majors[0], 'bin') : undefined;
}


export interface ReplicaPair {
  /** postgres superuser URLs (trust on loopback) of the throwaway primary and its streaming replica. */
  primaryUrl(database?: string): string;
  replicaUrl(database?: string): string;
  /** `pg_wal_replay_pause()` / resume on the replica: it keeps receiving WAL but stops applying it. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Stops the replica at once (immediate shutdown). */
  stopReplica(): Promise<void>;
  /** Stops both clusters and removes their directory. */
  close(): Promise<void>;
}

/**
 * A real streaming replica for tests: a throwaway primary cluster (initdb, its own port, WAL for
 * replication, replication allowed on loopback) and a replica made from it with `pg_basebackup -R`.
 * The machine's shared server is left alone: its pg_hba.conf has no `replication` entry, so it
 * cannot be the source of a base backup. PostgreSQL refuses to run as root, so as root the
 * clusters run as the `postgres` system user.
 */
export async function startReplicaPair(): Promise<ReplicaPair> {
  const bin = pgBinDir();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-pg-pair-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const exec = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args));
  const [pPort, rPort] = [await freePort(), await freePort()];
  const primaryDir = join(dir, 'primary');
  const replicaDir = join(dir, 'replica');
  const started: string[] = [];
  const stopAll = async () => {
    for (const d of started.reverse()) await exec('pg_ctl', ['-D', d, '-m', 'immediate', 'stop']).catch(() => undefined);
    started.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await exec('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    appendFileSync(
      join(primaryDir, 'postgresql.conf'),
      `\nport = ${pPort}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\nshared_buffers = 32MB\n`,
    );
    await exec('pg_ctl', ['-D', primaryDir, '-l', join(dir, 'primary.log'), '-w', 'start']);
    started.push(primaryDir);
    await exec('pg_basebackup', ['-h', '127.0.0.1', '-p', String(pPort), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    appendFileSync(join(replicaDir, 'postgresql.conf'), `\nport = ${rPort}\nhot_standby = on\n`);
    await exec('pg_ctl', ['-D', replicaDir, '-l', join(dir, 'replica.log'), '-w', 'start']);
    started.push(replicaDir);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const url = (port: number, database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const onReplica = async (q: string) => {
    const c = new pg.Client({ connectionString: url(rPort) });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  return {
    primaryUrl: (db) => url(pPort, db),
    replicaUrl: (db) => url(rPort, db),
    pauseReplay: () => onReplica('select pg_wal_replay_pause()'),
    resumeReplay: () => onReplica('select pg_wal_replay_resume()'),
    async stopReplica() {
      await exec('pg_ctl', ['-D', replicaDir, '-m', 'immediate', 'stop']);
      started.splice(started.indexOf(replicaDir), 1);
    },
    close: stopAll,
  };
}
