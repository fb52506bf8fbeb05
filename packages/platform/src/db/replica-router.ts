import { sql, type Kysely } from 'kysely';

/** Where reads that may be stale go: the replica while it is up and close behind, else the primary. */
export interface ReplicaRouter {
  /** Whether the replica may answer now (up, and at most `maxLagMs` behind at the last probe). */
  usable(): boolean;
  /** A read on the replica failed: the primary answers until a probe finds the replica well again. */
  failed(error: unknown): void;
  /** Counts a read by where it went (for tests and metrics). */
  count(target: 'replica' | 'primary'): void;
  stats(): ReplicaStats;
  close(): void;
}

export interface ReplicaStats {
  usable: boolean;
  /** Upper bound of the replica's staleness at the last probe; undefined before the first. */
  lagMs: number | undefined;
  /** Why the replica is not used: `down`, `lagging`, or undefined. */
  reason: 'down' | 'lagging' | undefined;
  replicaReads: number;
  primaryReads: number;
}

export interface ReplicaRouterOptions {
  primary: Kysely<any>;
  replica: Kysely<any>;
  maxLagMs: number;
  /** How often both positions are read; default 200 ms. */
  probeMs?: number;
  onChange?: (stats: ReplicaStats) => void;
}

/**
 * Measures the replica's lag as time, not bytes: every probe reads the primary's WAL position
 * and the replica's replayed position; the replica holds everything the primary had at the last
 * sample whose position it has reached, so its staleness is at most the time since that sample.
 * Reads go to the primary while the replica is down or further behind than `maxLagMs`.
 */
export function createReplicaRouter(opts: ReplicaRouterOptions): ReplicaRouter {
  const probeMs = opts.probeMs ?? 200;
  const samples: Array<{ at: number; pos: number }> = [];
  const st: ReplicaStats = { usable: false, lagMs: undefined, reason: 'down', replicaReads: 0, primaryReads: 0 };
  const set = (usable: boolean, reason: ReplicaStats['reason'], lagMs: number | undefined) => {
    const changed = usable !== st.usable || reason !== st.reason;
    st.usable = usable;
    st.reason = reason;
    st.lagMs = lagMs;
    if (changed) opts.onChange?.({ ...st });
  };
  let running = false;
  async function probe(): Promise<void> {
    if (running) return;
    running = true;
    try {
      const p = await sql<{ pos: string }>`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as pos`.execute(opts.primary);
      const now = Date.now();
      samples.push({ at: now, pos: Number(p.rows[0]!.pos) });
      while (samples.length > 2 && samples[0]!.at < now - Math.max(10_000, opts.maxLagMs * 4)) samples.shift();
      let replayed: number;
      try {
        const r = await sql<{ pos: string | null }>`select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::text as pos`.execute(opts.replica);
        // Not in recovery (a primary named as replica): it is never behind.
        replayed = r.rows[0]!.pos === null ? Infinity : Number(r.rows[0]!.pos);
      } catch {
        set(false, 'down', undefined);
        return;
      }
      let lagMs = 0;
      if (replayed < samples[samples.length - 1]!.pos) {
        const reached = samples.filter((s) => s.pos <= replayed);
        lagMs = reached.length > 0 ? now - reached[reached.length - 1]!.at : now - samples[0]!.at;
      }
      if (lagMs > opts.maxLagMs) set(false, 'lagging', lagMs);
      else set(true, undefined, lagMs);
    } catch {
      // The primary itself is unreachable: leave the decision as it was.
    } finally {
      running = false;
    }
  }
  void probe();
  const timer = setInterval(() => void probe(), probeMs);
  timer.unref();
  return {
    usable: () => st.usable,
    failed() {
      set(false, 'down', st.lagMs);
    },
    count(target) {
      if (target === 'replica') st.replicaReads++;
      else st.primaryReads++;
    },
    stats: () => ({ ...st }),
    close: () => clearInterval(timer),
  };
}
