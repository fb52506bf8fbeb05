import { rmSync } from 'node:fs';

/**
 * Process-wide registry of things to undo: child processes to stop and temp dirs to remove.
 * Every helper that creates such a thing registers it here, so a signal, an uncaught error
 * or a normal exit all end in the same place and nothing is left running.
 */
export interface Cleanup {
  /** Graceful, awaited teardown (e.g. SIGTERM, then SIGKILL after a grace period). */
  readonly run: () => Promise<void>;
  /** Last resort from the synchronous 'exit' event (e.g. SIGKILL, rmSync). */
  readonly runSync: () => void;
}

const pending = new Set<Cleanup>();
let installed = false;
let exiting = false;

/** Registers a cleanup; the returned function runs it (once) and unregisters it. */
export function registerCleanup(cleanup: Cleanup): () => Promise<void> {
  installHandlers();
  pending.add(cleanup);
  let done: Promise<void> | undefined;
  return () => {
    done ??= (async () => {
      try {
        await cleanup.run();
      } finally {
        pending.delete(cleanup);
      }
    })();
    return done;
  };
}

/** A temp dir removed on exit; the returned function removes it now. */
export function registerTempDir(dir: string): () => Promise<void> {
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  return registerCleanup({ run: async () => remove(), runSync: remove });
}

/** Runs every pending cleanup, newest first (children before the dirs they write to). */
export async function cleanupAll(): Promise<void> {
  for (const cleanup of [...pending].reverse()) {
    try {
      await cleanup.run();
    } catch (err) {
      process.stderr.write(`bench: cleanup failed: ${String(err)}\n`);
    }
    pending.delete(cleanup);
  }
}

/** Cleans up, then exits with `code`. A second call while exiting is ignored. */
export async function exitAfterCleanup(code: number): Promise<never> {
  if (!exiting) {
    exiting = true;
    await cleanupAll();
  }
  process.exit(code);
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping children…\n`);
      void exitAfterCleanup(code);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: uncaught ${err.stack ?? String(err)}\n`);
    void exitAfterCleanup(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: unhandled rejection ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void exitAfterCleanup(1);
  });
  // Reached on process.exit() from anywhere: no awaiting here, so only the synchronous half.
  process.on('exit', () => {
    for (const cleanup of [...pending].reverse()) {
      try {
        cleanup.runSync();
      } catch {
        // best effort at exit
      }
    }
  });
}
