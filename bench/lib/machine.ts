import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { repoRoot } from './paths.ts';

/** Facts that make a figure comparable (or not) with one from another machine. */
export interface MachineFacts {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemGiB: number;
  readonly loadAvg: readonly number[];
  readonly platform: string;
  readonly kernel: string;
  readonly node: string;
  readonly v8: string;
  readonly gitCommit: string | null;
  readonly gitDirty: boolean | null;
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAvg: os.loadavg().map((n) => Math.round(n * 100) / 100),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    v8: process.versions.v8,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: ((status) => (status === null ? null : status.length > 0))(git(['status', '--porcelain'])),
  };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
  } catch {
    return null;
  }
}
