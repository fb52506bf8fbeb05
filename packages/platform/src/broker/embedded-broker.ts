import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import type { EventEnvelope } from '@orderflow/contracts';
import {
  isDependencyOutage,
  isNonRetryable,
  OUTAGE_BACKOFF_ATTEMPT,
  subjectMatches,
  type Broker,
  type ConsumerStats,
  type DeadLetter,
  type DeliveredMessage,
  type SubscribeOptions,
} from './broker.ts';
import { redeliveryDelay } from './backoff.ts';
import { withConsumeSpan } from '../observability/messaging-spans.ts';
import { faultPoint } from '../fault-point.ts';

export interface EmbeddedBrokerOptions {
  /** SQLite file that holds the messages; survives restarts. */
  file: string;
  /** Attempts before a message becomes a dead letter; default 8. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Look for due retries (and for messages other processes published) this often; default 100 ms. */
  pollMs?: number;
  /** Keep delivered messages this long for deduplication of republished ids; default 1 h. */
  retentionMs?: number;
  onRedelivery?: (consumer: string, message: DeliveredMessage, error: unknown, delayMs: number) => void;
  onDeadLetter?: (consumer: string, message: DeliveredMessage, error: unknown) => void;
  /**
   * True while the HTTP edge of this process is overloaded. Consumers then handle at most
   * `busyConcurrency` messages each (default 1), so the backlog waits in the store instead of
   * taking the event loop from admitted requests; full concurrency returns when it is false.
   */
  isBusy?: () => boolean;
  busyConcurrency?: number;
}

const SCHEMA = `
create table if not exists messages (
  id text primary key,
  subject text not null,
  envelope text not null,
  published_at integer not null
);
create index if not exists messages_published_at on messages(published_at);
create table if not exists consumers (name text primary key, subjects text not null);
create table if not exists deliveries (
  seq integer primary key autoincrement,
  consumer text not null,
  message_id text not null,
  attempts integer not null default 0,
  next_at integer not null,
  status text not null default 'ready',
  last_error text,
  updated_at integer not null,
  unique (consumer, message_id)
);
create index if not exists deliveries_due on deliveries(consumer, status, next_at, seq);
create index if not exists deliveries_message on deliveries(message_id);
`;

interface Row {
  seq: number;
  message_id: string;
  attempts: number;
  envelope: string;
}

interface Buffered {
  row: Row;
  envelope: EventEnvelope;
}

/**
 * One consumer's delivery loop. Due deliveries are fetched in batches into a local buffer (each
 * envelope parsed once) and started from there as room frees up, so the cost per message stays
 * constant however long the backlog is.
 */
class Pump {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightKeys = new Set<string>();
  private buffer: Buffered[] = [];
  /** Ids buffered or in flight: a fetch skips them. */
  private readonly known = new Set<string>();
  private wakeFn: (() => void) | undefined;
  private woken = false;
  /** New or due messages may be in the store: set by a publish and by the poll timer, cleared by a short fetch. */
  private dirty = true;
  running = false;
  private loop: Promise<void> | undefined;
  private readonly concurrency: number;
  private readonly batch: number;

  constructor(
    readonly opts: SubscribeOptions,
    private readonly broker: EmbeddedBroker,
  ) {
    this.concurrency = opts.concurrency ?? 16;
    this.batch = Math.max(64, this.concurrency * 4);
  }

  get size(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.woken = true;
    this.wakeFn?.();
  }

  /** A publish for this consumer: there is something new to fetch. */
  notify(): void {
    this.dirty = true;
    this.wake();
  }

  async stop(timeoutMs: number): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    const all = Promise.allSettled([...this.inFlight.values()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wakeFn = undefined;
        resolve();
      }
      this.wakeFn = done;
    });
  }

  private fill(): void {
    const limit = this.known.size + this.batch;
    const rows = this.broker.fetchDue(this.opts.consumer, limit);
    this.dirty = rows.length === limit;
    for (const row of rows) {
      if (this.known.has(row.message_id)) continue;
      this.known.add(row.message_id);
      this.buffer.push({ row, envelope: JSON.parse(row.envelope) as EventEnvelope });
    }
  }

  /** Starts buffered messages while there is room, skipping keys already in flight (per-key order). */
  private schedule(): void {
    const limit = this.broker.isBusy() ? Math.min(this.concurrency, this.broker.busyConcurrency) : this.concurrency;
    if (this.inFlight.size >= limit || this.buffer.length === 0) return;
    const keep: Buffered[] = [];
    for (const b of this.buffer) {
      if (this.inFlight.size < limit && !this.inFlightKeys.has(b.envelope.key)) this.dispatch(b.row, b.envelope);
      else keep.push(b);
    }
    this.buffer = keep;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      if (this.dirty && this.buffer.length < this.concurrency) this.fill();
      this.schedule();
      if (!this.woken) {
        await this.sleep(this.broker.pollMs);
        if (!this.woken) this.dirty = true; // the timer fired: retries may have come due
      } else await new Promise<void>((r) => setImmediate(r));
    }
  }

  private dispatch(row: Row, envelope: EventEnvelope): void {
    const message: DeliveredMessage = { ...envelope, attempt: row.attempts + 1 };
    this.inFlightKeys.add(envelope.key);
    const p = (async () => {
      try {
        await withConsumeSpan(this.opts.consumer, message, () => this.opts.handler(message));
        faultPoint('broker.after-handle-before-ack');
        this.broker.ack(this.opts.consumer, row.message_id);
      } catch (error) {
        this.broker.nack(this.opts.consumer, message, error);
      } finally {
        this.inFlight.delete(row.message_id);
        this.inFlightKeys.delete(envelope.key);
        this.known.delete(row.message_id);
        this.wake();
      }
    })();
    this.inFlight.set(row.message_id, p);
  }
}

class EmbeddedBroker implements Broker {
  private readonly db: SQLite.Database;
  private readonly pumps: Pump[] = [];
  private consumers = new Map<string, readonly string[]>();
  private started = false;
  private pendingAcks: Array<[string, string]> = [];
  private ackScheduled = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  readonly pollMs: number;
  readonly isBusy: () => boolean;
  readonly busyConcurrency: number;
  private readonly maxAttempts: number;
  private readonly stmts;

  constructor(private readonly opts: EmbeddedBrokerOptions) {
    if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
    this.db = new SQLite(opts.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.pollMs = opts.pollMs ?? 100;
    this.isBusy = opts.isBusy ?? (() => false);
    this.busyConcurrency = Math.max(1, opts.busyConcurrency ?? 1);
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.stmts = {
      insertMessage: this.db.prepare('insert or ignore into messages (id, subject, envelope, published_at) values (?, ?, ?, ?)'),
      insertDelivery: this.db.prepare(
        'insert or ignore into deliveries (consumer, message_id, next_at, updated_at) values (?, ?, ?, ?)',
      ),
      loadConsumers: this.db.prepare('select name, subjects from consumers'),
      upsertConsumer: this.db.prepare(
        'insert into consumers (name, subjects) values (?, ?) on conflict(name) do update set subjects = excluded.subjects',
      ),
      due: this.db.prepare(
        `select d.seq, d.message_id, d.attempts, m.envelope from deliveries d join messages m on m.id = d.message_id
         where d.consumer = ? and d.status = 'ready' and d.next_at <= ? order by d.next_at, d.seq limit ?`,
      ),
      ack: this.db.prepare('delete from deliveries where consumer = ? and message_id = ?'),
      retry: this.db.prepare(
        `update deliveries set attempts = attempts + 1, next_at = ?, last_error = ?, updated_at = ? where consumer = ? and message_id = ?`,
      ),
      // A dependency outage: try again later without spending an attempt.
      wait: this.db.prepare(`update deliveries set next_at = ?, last_error = ?, updated_at = ? where consumer = ? and message_id = ?`),
      dead: this.db.prepare(
        `update deliveries set attempts = attempts + 1, status = 'dead', last_error = ?, updated_at = ? where consumer = ? and message_id = ?`,
      ),
      listDead: this.db.prepare(
        `select d.consumer, d.message_id, d.attempts, d.last_error, d.updated_at, m.envelope from deliveries d
         join messages m on m.id = d.message_id where d.status = 'dead' and (? is null or d.consumer = ?) order by d.updated_at desc limit ?`,
      ),
      replay: this.db.prepare(
        `update deliveries set status = 'ready', attempts = 0, next_at = ?, updated_at = ? where consumer = ? and message_id = ? and status = 'dead'`,
      ),
      stats: this.db.prepare(
        `select consumer, sum(status = 'ready') as pending, sum(status = 'dead') as dead from deliveries group by consumer`,
      ),
      prune: this.db.prepare(
        `delete from messages where published_at < ? and not exists (select 1 from deliveries d where d.message_id = messages.id)`,
      ),
    };
    this.refreshConsumers();
  }

  private refreshConsumers(): void {
    const rows = this.stmts.loadConsumers.all() as Array<{ name: string; subjects: string }>;
    this.consumers = new Map(rows.map((r) => [r.name, JSON.parse(r.subjects) as string[]]));
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    if (events.length === 0) return;
    // Another process may have registered consumers on the same file (tests, a CLI replay).
    if (!this.started) this.refreshConsumers();
    const now = Date.now();
    const woken = new Set<string>();
    this.db.transaction(() => {
      for (const e of events) {
        const r = this.stmts.insertMessage.run(e.id, e.subject, JSON.stringify(e), now);
        if (r.changes === 0) continue; // already published: dropped, as NATS does with Nats-Msg-Id
        for (const [consumer, subjects] of this.consumers) {
          if (subjects.some((s) => subjectMatches(s, e.subject))) {
            this.stmts.insertDelivery.run(consumer, e.id, now, now);
            woken.add(consumer);
          }
        }
      }
    })();
    for (const p of this.pumps) if (woken.has(p.opts.consumer)) p.notify();
  }

  subscribe(opts: SubscribeOptions): void {
    this.stmts.upsertConsumer.run(opts.consumer, JSON.stringify(opts.subjects));
    this.consumers.set(opts.consumer, opts.subjects);
    const pump = new Pump(opts, this);
    this.pumps.push(pump);
    if (this.started) pump.start();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Whatever was in flight when the last process died was never acked: deliver it again.
    this.db.prepare(`update deliveries set status = 'ready' where status = 'inflight'`).run();
    for (const p of this.pumps) p.start();
    const retention = this.opts.retentionMs ?? 3_600_000;
    this.pruneTimer = setInterval(() => this.stmts.prune.run(Date.now() - retention), 60_000);
    this.pruneTimer.unref();
  }

  fetchDue(consumer: string, limit: number): Row[] {
    this.flushAcks();
    return this.stmts.due.all(consumer, Date.now(), limit) as Row[];
  }

  ack(consumer: string, messageId: string): void {
    this.pendingAcks.push([consumer, messageId]);
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => this.flushAcks());
    }
  }

  private flushAcks(): void {
    this.ackScheduled = false;
    if (this.pendingAcks.length === 0) return;
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    this.db.transaction(() => {
      for (const [c, m] of acks) this.stmts.ack.run(c, m);
    })();
  }

  nack(consumer: string, message: DeliveredMessage, error: unknown): void {
    const now = Date.now();
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (isDependencyOutage(error)) {
      const delay = redeliveryDelay(error, OUTAGE_BACKOFF_ATTEMPT, this.opts.backoffBaseMs ?? 200, this.opts.backoffCapMs ?? 30_000);
      this.stmts.wait.run(now + delay, text, now, consumer, message.id);
      this.opts.onRedelivery?.(consumer, message, error, delay);
      return;
    }
    if (isNonRetryable(error) || message.attempt >= this.maxAttempts) {
      this.stmts.dead.run(text, now, consumer, message.id);
      this.opts.onDeadLetter?.(consumer, message, error);
      return;
    }
    const delay = redeliveryDelay(error, message.attempt, this.opts.backoffBaseMs ?? 200, this.opts.backoffCapMs ?? 30_000);
    this.stmts.retry.run(now + delay, text, now, consumer, message.id);
    this.opts.onRedelivery?.(consumer, message, error, delay);
  }

  deadLetters = {
    list: async (opts: { consumer?: string; limit?: number } = {}): Promise<DeadLetter[]> => {
      const rows = this.stmts.listDead.all(opts.consumer ?? null, opts.consumer ?? null, opts.limit ?? 100) as Array<{
        consumer: string;
        message_id: string;
        attempts: number;
        last_error: string | null;
        updated_at: number;
        envelope: string;
      }>;
      return rows.map((r) => {
        const e = JSON.parse(r.envelope) as EventEnvelope;
        return {
          id: `${r.consumer}:${r.message_id}`,
          consumer: r.consumer,
          messageId: r.message_id,
          subject: e.subject,
          type: e.type,
          key: e.key,
          attempts: r.attempts,
          lastError: r.last_error ?? '',
          deadAt: new Date(r.updated_at).toISOString(),
          data: e.data,
        };
      });
    },
    replay: async (id: string): Promise<boolean> => {
      const slash = id.indexOf(':');
      if (slash < 0) return false;
      const consumer = id.slice(0, slash);
      const now = Date.now();
      const r = this.stmts.replay.run(now, now, consumer, id.slice(slash + 1));
      for (const p of this.pumps) if (p.opts.consumer === consumer) p.notify();
      return r.changes === 1;
    },
  };

  async stats(): Promise<ConsumerStats[]> {
    const rows = this.stmts.stats.all() as Array<{ consumer: string; pending: number; dead: number }>;
    // Every known consumer is listed, idle ones (no delivery rows) at 0, so their series exist.
    for (const name of this.consumers.keys()) if (!rows.some((r) => r.consumer === name)) rows.push({ consumer: name, pending: 0, dead: 0 });
    return rows.map((r) => ({
      consumer: r.consumer,
      pending: Number(r.pending ?? 0),
      dead: Number(r.dead ?? 0),
      inFlight: this.pumps.filter((p) => p.opts.consumer === r.consumer).reduce((n, p) => n + p.size, 0),
    }));
  }

  async drain(timeoutMs = 10_000): Promise<void> {
    await Promise.all(this.pumps.map((p) => p.stop(timeoutMs)));
    this.flushAcks();
  }

  async close(timeoutMs = 10_000): Promise<void> {
    await this.drain(timeoutMs);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.db.close();
  }
}

/**
 * A durable broker inside the process, on its own SQLite file: messages and per-consumer
 * deliveries survive a crash; unacked deliveries are redelivered on the next start.
 */
export function createEmbeddedBroker(opts: EmbeddedBrokerOptions): Broker {
  return new EmbeddedBroker(opts);
}
