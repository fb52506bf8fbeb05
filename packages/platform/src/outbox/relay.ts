import { faultPoint } from '../fault-point.ts';
import type { Kysely, Selectable } from 'kysely';
import type { EventEnvelope } from '@orderflow/contracts';
import type { Database } from '../db/database.ts';
import type { PlatformTables } from '../db/platform-migrations.ts';
import type { Broker } from '../broker/broker.ts';
import { fullJitterBackoff } from '../broker/backoff.ts';
import { startPublishSpans } from '../observability/messaging-spans.ts';

export interface OutboxRelayOptions {
  db: Database;
  broker: Broker;
  /** Rows per publish; default 256. */
  batchSize?: number;
  /** How often to look when nobody woke the relay; default 250 ms. */
  idlePollMs?: number;
  /** Told of every failed publish; the relay keeps retrying with capped backoff and never drops a row. */
  onPublishError?: (error: unknown, attempt: number) => void;
  /** After each published batch, with its events. */
  onPublished?: (count: number, events: readonly EventEnvelope[]) => void;
}

export interface OutboxRelay {
  start(): void;
  /** Wakes the relay at once (called after every commit). */
  notify(): void;
  /** Publishes what is left, then stops. */
  stop(): Promise<void>;
  /** Rows waiting, and the age in ms of the oldest (0 when empty). */
  pending(): Promise<{ count: number; oldestAgeMs: number }>;
}

function toEnvelope(r: Selectable<PlatformTables['outbox']>): EventEnvelope {
  return {
    id: r.id,
    type: r.type,
    version: r.version,
    source: r.source,
    subject: r.subject,
    key: r.key,
    occurredAt: r.occurred_at,
    data: JSON.parse(r.data) as unknown,
    headers: JSON.parse(r.headers) as Record<string, string>,
  };
}

/**
 * Moves committed outbox rows to the broker, oldest first, and deletes them once the broker has
 * them. A crash between publish and delete republishes the rows; the broker drops them by id.
 * On PostgreSQL any number of relays may run against one database (`FOR UPDATE SKIP LOCKED`).
 */
export function createOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const db = opts.db.db as unknown as Kysely<PlatformTables>;
  const batchSize = opts.batchSize ?? 256;
  const idlePollMs = opts.idlePollMs ?? 250;
  let running = false;
  let woken = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function publishAndDelete(k: Kysely<PlatformTables>, rows: Array<Selectable<PlatformTables['outbox']>>): Promise<number> {
    if (rows.length === 0) return 0;
    faultPoint('relay.after-commit-before-publish');
    const envelopes = rows.map(toEnvelope);
    const spans = startPublishSpans(envelopes);
    try {
      await opts.broker.publish(envelopes);
    } catch (error) {
      spans.end(error);
      throw error;
    }
    spans.end();
    await k
      .deleteFrom('outbox')
      .where(
        'seq',
        'in',
        rows.map((r) => r.seq),
      )
      .execute();
    opts.onPublished?.(rows.length, envelopes);
    return rows.length;
  }

  async function drainOnce(): Promise<number> {
    const select = (k: Kysely<PlatformTables>) => k.selectFrom('outbox').selectAll().orderBy('seq').limit(batchSize);
    // PostgreSQL, several instances: each claims a disjoint batch (rows another relay holds are
    // skipped, not waited for); a relay that dies mid-batch rolls back and its rows are free again.
    const n =
      opts.db.dialect === 'postgres'
        ? await db.transaction().execute(async (trx) => publishAndDelete(trx, await select(trx).forUpdate().skipLocked().execute()))
        : await publishAndDelete(db, await select(db).execute());
    return n;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (running) {
      woken = false;
      try {
        const n = await drainOnce();
        failures = 0;
        if (n === batchSize) continue;
        if (!woken) await sleep(idlePollMs);
        // Let the other commits of this turn of the event loop land, then publish them together.
        await new Promise<void>((r) => setImmediate(r));
      } catch (error) {
        failures += 1;
        opts.onPublishError?.(error, failures);
        await sleep(fullJitterBackoff(failures, 50, 5_000));
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    notify() {
      woken = true;
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      // Last drain so a graceful stop leaves nothing behind; failures here wait for the next start.
      try {
        while ((await drainOnce()) > 0);
      } catch (error) {
        opts.onPublishError?.(error, 1);
      }
    },
    async pending() {
      const r = await db
        .selectFrom('outbox')
        .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('occurred_at').as('oldest')])
        .executeTakeFirst();
      const count = Number(r?.count ?? 0);
      const oldest = r?.oldest ? Date.parse(String(r.oldest)) : undefined;
      return { count, oldestAgeMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest) };
    },
  };
}
