import { join } from 'node:path';
import Database from 'better-sqlite3';
import { finalStatuses } from '../scenarios.ts';

/** Order counts read from the order service's own database. */
export interface OrderCounts {
  readonly total: number;
  readonly final: number;
  /** updated_at of the newest final order (epoch ms), if the column exists. */
  readonly lastFinalAt: number | undefined;
}

/** Outcome of waiting for every order to become final. */
export interface DrainResult {
  readonly drained: boolean;
  /** Epoch ms of the last order becoming final (its updated_at, else when the poll saw it). */
  readonly lastFinalAt: number;
  readonly counts: OrderCounts;
  /** Wall time spent waiting after the call. */
  readonly waitedMs: number;
  /** Orders per status when the wait ended, e.g. { confirmed: 980, awaiting_payment: 3 }. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Set when `abortIf` ended the wait early (e.g. the server is gone). */
  readonly aborted?: string;
}

/**
 * Read-only view of `<dataDir>/orders.db`. The bench reads the order service's table directly
 * because it measures that service from the outside; nothing in the system does this.
 */
export interface OrdersWatch {
  counts(): OrderCounts;
  byStatus(): Record<string, number>;
  /**
   * Polls every `pollMs` until all orders are final and at least `minFinal` are, or until
   * `timeoutMs`; then `drained` is false.
   */
  waitUntilDrained(opts: { minFinal: number; timeoutMs: number; pollMs: number; abortIf?: () => string | undefined }): Promise<DrainResult>;
  close(): void;
}

export function watchOrders(dataDir: string): OrdersWatch {
  const db = new Database(join(dataDir, 'orders.db'), { readonly: true, fileMustExist: true });
  const placeholders = finalStatuses.map(() => '?').join(', ');
  const withTime = tryPrepare(
    db,
    `select count(*) as total, coalesce(sum(status in (${placeholders})), 0) as final,
            max(case when status in (${placeholders}) then updated_at end) as lastFinal from orders`,
  );
  const withoutTime = db.prepare(
    `select count(*) as total, coalesce(sum(status in (${placeholders})), 0) as final, null as lastFinal from orders`,
  );

  const statusStmt = db.prepare('select status, count(*) as n from orders group by status');
  const byStatus = (): Record<string, number> =>
    Object.fromEntries((statusStmt.all() as { status: string; n: number }[]).map((r) => [r.status, r.n]));

  const counts = (): OrderCounts => {
    const row = (withTime
      ? withTime.get(...finalStatuses, ...finalStatuses)
      : withoutTime.get(...finalStatuses)) as { total: number; final: number; lastFinal: string | number | null };
    const parsed = row.lastFinal === null ? NaN : typeof row.lastFinal === 'number' ? row.lastFinal : Date.parse(row.lastFinal);
    return { total: row.total, final: row.final, lastFinalAt: Number.isFinite(parsed) ? parsed : undefined };
  };

  const waitUntilDrained: OrdersWatch['waitUntilDrained'] = async ({ minFinal, timeoutMs, pollMs, abortIf }) => {
    const started = Date.now();
    let lastFinalSeen = started;
    let previousFinal = -1;
    for (;;) {
      const now = Date.now();
      const c = counts();
      if (c.final !== previousFinal) {
        lastFinalSeen = now;
        previousFinal = c.final;
      }
      const done = c.final >= minFinal && c.final === c.total;
      const aborted = done ? undefined : abortIf?.();
      if (done || aborted !== undefined || now - started > timeoutMs) {
        const result = { drained: done, lastFinalAt: c.lastFinalAt ?? lastFinalSeen, counts: c, waitedMs: now - started, byStatus: byStatus() };
        return aborted === undefined ? result : { ...result, aborted };
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };

  return { counts, byStatus, waitUntilDrained, close: () => db.close() };
}

function tryPrepare(db: Database.Database, sql: string): Database.Statement | undefined {
  try {
    return db.prepare(sql);
  } catch {
    // an older schema without updated_at: fall back to the time the poll saw the count change
    return undefined;
  }
}
