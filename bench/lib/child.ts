import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { registerCleanup } from './cleanup.ts';
import { repoRoot } from './paths.ts';

/** Grace period between SIGTERM and SIGKILL. */
export const killGraceMs = 5_000;

/** A child process the benchmark started; always registered for cleanup. */
export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Last lines of stdout and stderr, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after {@link killGraceMs}; resolves once the process is gone. */
  stop(): Promise<void>;
  /** Why the child is gone if it ended without {@link Child.stop} (crash, or killed from outside). */
  unexpectedExit(): string | undefined;
}

/** The child under test ended while the benchmark still needed it. */
export class ChildExitedError extends Error {
  override name = 'ChildExitedError';
}

export interface StartNodeOptions {
  /** Label used in error messages. */
  readonly label: string;
  /** Script and arguments after `node --import tsx`, relative to the repo root. */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags before `--import tsx` (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** A stdout JSON line for which this returns a value means "ready". */
  readonly ready: (line: Record<string, unknown>) => string | undefined;
  /** Give up (and kill the child) after this long. Default 30 s. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts `node --import tsx <args>` in the repo root, drains its output (keeping a tail) and
 * resolves with the value `ready` extracted from the first matching stdout JSON line.
 * Throws with the output tail if the child exits or times out first.
 */
export async function startNode(opts: StartNodeOptions): Promise<{ child: Child; value: string }> {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', ...opts.args], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`${opts.label}: spawn failed`);
  const stdoutLines = new Set<(line: string) => void>();
  const child = wrap(proc, proc.pid, stdoutLines);
  const value = await waitReady(proc, child, stdoutLines, opts);
  return { child, value };
}

function wrap(proc: ChildProcess, pid: number, stdoutLines: Set<(line: string) => void>): Child {
  const lines: string[] = [];
  const keep = (prefix: string) => (line: string) => {
    lines.push(prefix + line);
    if (lines.length > 40) lines.shift();
  };
  // Both pipes are always read to the end, so a chatty child never blocks on a full pipe.
  const keepOut = keep('');
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    keepOut(line);
    for (const listener of stdoutLines) listener(line);
  });
  createInterface({ input: proc.stderr! }).on('line', keep('[stderr] '));
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
  let stopping = false;
  const unexpectedExit = (): string | undefined =>
    alive() || stopping ? undefined : `pid ${pid} exited by itself (code ${proc.exitCode}, signal ${proc.signalCode})`;

  const stop = registerCleanup({
    run: async () => {
      stopping = true;
      if (!alive()) return;
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (alive()) proc.kill('SIGKILL');
          resolve();
        }, killGraceMs);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      await exited;
    },
    runSync: () => {
      if (alive()) proc.kill('SIGKILL');
    },
  });
  return { pid, process: proc, tail: () => lines.join('\n'), stop, unexpectedExit };
}

async function waitReady(
  proc: ChildProcess,
  child: Child,
  stdoutLines: Set<(line: string) => void>,
  opts: StartNodeOptions,
): Promise<string> {
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        stdoutLines.delete(onLine);
        reject(new Error(`${opts.label} not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      const onLine = (line: string): void => {
        const parsed = parseJsonLine(line);
        const value = parsed === undefined ? undefined : opts.ready(parsed);
        if (value === undefined) return;
        clearTimeout(timer);
        stdoutLines.delete(onLine);
        resolve(value);
      };
      stdoutLines.add(onLine);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        stdoutLines.delete(onLine);
        reject(new Error(`${opts.label} exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
  } catch (err) {
    await child.stop();
    throw new Error(`${(err as Error).message}\n--- output tail ---\n${child.tail()}`);
  }
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
