import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU used over a window, in percent of one core (so 2 cores = 200 %), to show where time goes:
 * the load generator (autocannon runs in this process) versus the server under test.
 * The server and machine figures come from /proc and are null where there is none.
 */
export interface CpuSplit {
  readonly wallS: number;
  /** This process: autocannon plus the bench's own polling. */
  readonly loadGenPct: number;
  /** The server child process, all its threads. */
  readonly serverPct: number | null;
  /** The whole machine, busy (non-idle) time over all cores. */
  readonly machinePct: number | null;
}

/** Starts a window; call the returned function to close it. */
export function cpuWindow(serverPid: number): () => CpuSplit {
  const wall0 = process.hrtime.bigint();
  const self0 = process.cpuUsage();
  const server0 = procTicks(serverPid);
  const machine0 = machineTicks();
  return () => {
    const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
    const self = process.cpuUsage(self0);
    const server1 = procTicks(serverPid);
    const machine1 = machineTicks();
    const pct = (seconds: number): number => round1((seconds / wallS) * 100);
    return {
      wallS: round1(wallS),
      loadGenPct: pct((self.user + self.system) / 1e6),
      serverPct: server0 !== null && server1 !== null ? pct((server1 - server0) / clockTicks) : null,
      machinePct:
        machine0 !== null && machine1 !== null && machine1.total > machine0.total
          ? round1(((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100 * cores())
          : null,
    };
  };
}

// USER_HZ; 100 on every mainstream Linux build.
const clockTicks = 100;

function procTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

function cores(): number {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d+ /.test(l)).length || 1;
  } catch {
    return 1;
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** CPU seconds used so far by every process on the machine, with its command line; empty without /proc. */
export function allProcessCpu(): Map<number, { cmd: string; seconds: number }> {
  const out = new Map<number, { cmd: string; seconds: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const p of pids) {
    const ticks = procTicks(Number(p));
    if (ticks === null) continue;
    try {
      out.set(Number(p), { cmd: readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(), seconds: ticks / clockTicks });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds per group between two `allProcessCpu` samples; `group` names a process or skips it (undefined). */
export function cpuByGroup(
  before: Map<number, { cmd: string; seconds: number }>,
  after: Map<number, { cmd: string; seconds: number }>,
  group: (pid: number, cmd: string) => string | undefined,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const [pid, a] of after) {
    const g = group(pid, a.cmd);
    if (g === undefined) continue;
    sums.set(g, (sums.get(g) ?? 0) + a.seconds - (before.get(pid)?.seconds ?? 0));
  }
  return sums;
}
