import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { EventEnvelope } from '@orderflow/contracts';
import { isDependencyOutage, isNonRetryable, OUTAGE_BACKOFF_ATTEMPT, type Broker, type ConsumerStats, type DeliveredMessage, type SubscribeOptions } from './broker.ts';
import { redeliveryDelay } from './backoff.ts';
import { natsLayout, type NatsLayout } from './nats-layout.ts';
import { createNatsDeadLetters, type DeadLetterRecord } from './nats-dead-letters.ts';
import { withConsumeSpan } from '../observability/messaging-spans.ts';

export interface NatsBrokerOptions {
  /** e.g. `nats://127.0.0.1:4222`; several comma-separated for a cluster. */
  url: string;
  /** Namespace of every stream, consumer and subject; default `orderflow`. */
  prefix?: string;
  /** Attempts before a message becomes a dead letter; default 8. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Unacked this long, a message goes to another instance (its holder is presumed dead); default 30 s. */
  ackWaitMs?: number;
  /** How long streams keep events (they are also the deduplication record); default 7 days. */
  maxAgeMs?: number;
  /** Window in which a republished `Nats-Msg-Id` is dropped by the server; default 2 min. */
  duplicateWindowMs?: number;
  onRedelivery?: (consumer: string, message: DeliveredMessage, error: unknown, delayMs: number) => void;
  onDeadLetter?: (consumer: string, message: DeliveredMessage, error: unknown) => void;
  onError?: (error: unknown) => void;
  /** True while this process's HTTP edge is overloaded: each consumer then handles one message at a time (as in the embedded broker). */
  isBusy?: () => boolean;
}

const ns = (ms: number) => ms * 1_000_000;

/** One durable pull consumer, as this instance consumes it. */
interface Pump {
  consumer: string;
  stream: string;
  name: string;
  messages?: ConsumerMessages;
  loop?: Promise<void>;
  inFlight: Set<Promise<void>>;
}

class NatsBroker implements Broker {
  private readonly layout: NatsLayout;
  private readonly subs: SubscribeOptions[] = [];
  private readonly pumps: Pump[] = [];
  private readonly streams = new Map<string, Promise<void>>();
  private readonly keyChains = new Map<string, Promise<void>>();
  private stopping = false;
  private readonly maxAttempts: number;
  private readonly ackWaitMs: number;
  readonly deadLetters;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly opts: NatsBrokerOptions,
  ) {
    this.layout = natsLayout(opts.prefix ?? 'orderflow');
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.ackWaitMs = opts.ackWaitMs ?? 30_000;
    this.deadLetters = createNatsDeadLetters({ jsm, js, layout: this.layout, ensureStream: () => this.ensureDeadStream() });
  }

  /** Creates the stream if missing; an existing one is left as it is (its config may have been tuned). */
  private ensureStream(name: string, subjects: string[], extra: Record<string, unknown> = {}): Promise<void> {
    let p = this.streams.get(name);
    if (!p) {
      p = (async () => {
        try {
          await this.jsm.streams.info(name);
        } catch {
          try {
            await this.jsm.streams.add({
              name,
              subjects,
              retention: RetentionPolicy.Limits,
              storage: StorageType.File,
              max_age: ns(this.opts.maxAgeMs ?? 7 * 24 * 3_600_000),
              duplicate_window: ns(this.opts.duplicateWindowMs ?? 120_000),
              ...extra,
            });
          } catch (error) {
            // Another instance created it between our look and our add.
            await this.jsm.streams.info(name).catch(() => {
              throw error;
            });
          }
        }
      })();
      p.catch(() => this.streams.delete(name));
      this.streams.set(name, p);
    }
    return p;
  }

  private ensureSourceStream(source: string): Promise<void> {
    return this.ensureStream(this.layout.streamOf(source), [`${this.layout.prefix}.${source}.>`]);
  }

  private ensureDeadStream(): Promise<void> {
    return this.ensureStream(this.layout.deadStream, [`${this.layout.prefix}.dead.>`, `${this.layout.prefix}.replay.>`], { max_msgs_per_subject: 1 });
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    await Promise.all([...new Set(events.map((e) => e.source))].map((s) => this.ensureSourceStream(s)));
    await Promise.all(
      events.map((e) => {
        const h = natsHeaders();
        for (const [k, v] of Object.entries(e.headers)) h.set(k, v);
        h.set('Orderflow-Type', e.type);
        h.set('Orderflow-Key', e.key);
        // msgID becomes Nats-Msg-Id: the server drops a republished outbox row within the window.
        return this.js.publish(this.layout.natsSubject(e.subject), JSON.stringify(e), { msgID: e.id, headers: h });
      }),
    );
  }

  subscribe(opts: SubscribeOptions): void {
    this.subs.push(opts);
    if (this.pumps.length > 0) void this.startSubscription(opts).catch((e) => this.opts.onError?.(e));
  }

  async start(): Promise<void> {
    if (this.pumps.length > 0) return;
    await this.ensureDeadStream();
    for (const s of this.subs) await this.startSubscription(s);
  }

  private async startSubscription(s: SubscribeOptions): Promise<void> {
    const targets = [...s.subjects.map((p) => this.layout.consumerFor(s.consumer, p)), this.layout.replayConsumer(s.consumer)];
    for (const t of targets) {
      if (t.stream !== this.layout.deadStream) await this.ensureSourceStream(t.stream.slice(this.layout.prefix.length + 1));
      await this.ensureConsumer(t.stream, t.name, t.filter, s.concurrency ?? 16);
      const pump: Pump = { consumer: s.consumer, stream: t.stream, name: t.name, inFlight: new Set() };
      this.pumps.push(pump);
      pump.loop = this.run(pump, s);
    }
  }

  private async ensureConsumer(stream: string, name: string, filter: string, concurrency: number): Promise<void> {
    const config = {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filter,
      ack_wait: ns(this.ackWaitMs),
      // Attempts are counted here, not by the server, so the last failure becomes a dead letter.
      max_deliver: -1,
      max_ack_pending: Math.max(1000, concurrency * 64),
    };
    try {
      await this.jsm.consumers.info(stream, name);
      await this.jsm.consumers.update(stream, name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    } catch {
      try {
        await this.jsm.consumers.add(stream, config);
      } catch (error) {
        await this.jsm.consumers.info(stream, name).catch(() => {
          throw error;
        });
      }
    }
  }

  private async run(pump: Pump, s: SubscribeOptions): Promise<void> {
    const concurrency = s.concurrency ?? 16;
    const consumer = await this.js.consumers.get(pump.stream, pump.name);
    while (!this.stopping) {
      try {
        pump.messages = await consumer.consume({ max_messages: concurrency });
        for await (const m of pump.messages) {
          while (pump.inFlight.size >= (this.opts.isBusy?.() ? 1 : concurrency)) await Promise.race(pump.inFlight);
          const p = this.dispatch(pump, s, m).finally(() => pump.inFlight.delete(p));
          pump.inFlight.add(p);
          if (this.stopping) break;
        }
      } catch (error) {
        if (!this.stopping) this.opts.onError?.(error);
      }
      if (!this.stopping) await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Runs the handler; messages with the same key wait for each other in this instance. */
  private dispatch(pump: Pump, s: SubscribeOptions, m: JsMsg): Promise<void> {
    let envelope: EventEnvelope;
    try {
      envelope = m.json<EventEnvelope>();
    } catch (error) {
      m.term(); // no reason text: nats-server 2.9 ignores '+TERM <reason>' and would redeliver
      this.opts.onError?.(error);
      return Promise.resolve();
    }
    const chainKey = `${pump.consumer}\u0000${envelope.key}`;
    const prev = this.keyChains.get(chainKey) ?? Promise.resolve();
    const run = prev.then(() => this.handle(pump, s, m, envelope));
    this.keyChains.set(chainKey, run);
    return run.finally(() => {
      if (this.keyChains.get(chainKey) === run) this.keyChains.delete(chainKey);
    });
  }

  private async handle(pump: Pump, s: SubscribeOptions, m: JsMsg, envelope: EventEnvelope): Promise<void> {
    const message: DeliveredMessage = { ...envelope, attempt: m.info.deliveryCount };
    if (message.attempt > this.maxAttempts) {
      // Delivered past the limit without a verdict: its handlers kept dying. Do not run it again.
      return this.deadLetter(pump, m, message, new Error(`delivered ${message.attempt} times without an ack`));
    }
    // Long handlers keep their claim; without this a slow one would be redelivered elsewhere.
    const heartbeat = setInterval(() => m.working(), Math.max(1_000, this.ackWaitMs / 3));
    heartbeat.unref();
    try {
      await this.throughOutages(pump, s, message);
      clearInterval(heartbeat);
      m.ack();
    } catch (error) {
      clearInterval(heartbeat);
      if (isDependencyOutage(error)) {
        // Stopping while a dependency is down: hand it back without a verdict.
        const delay = redeliveryDelay(error, OUTAGE_BACKOFF_ATTEMPT, this.opts.backoffBaseMs ?? 200, this.opts.backoffCapMs ?? 30_000);
        m.nak(delay);
        this.opts.onRedelivery?.(pump.consumer, message, error, delay);
        return;
      }
      if (isNonRetryable(error) || message.attempt >= this.maxAttempts) return this.deadLetter(pump, m, message, error);
      const delay = redeliveryDelay(error, message.attempt, this.opts.backoffBaseMs ?? 200, this.opts.backoffCapMs ?? 30_000);
      m.nak(delay);
      this.opts.onRedelivery?.(pump.consumer, message, error, delay);
    }
  }

  /**
   * Runs the handler; while it fails because a dependency is down (see `isDependencyOutage`), waits
   * and runs it again here, holding the claim (the heartbeat keeps it), so the server's delivery
   * count — what `maxAttempts` is judged on — does not grow with an outage. Rethrows once stopping.
   */
  private async throughOutages(pump: Pump, s: SubscribeOptions, message: DeliveredMessage): Promise<void> {
    for (;;) {
      try {
        // One consumer span per run, child of the publish span whose traceparent the event carries (as the embedded broker does).
        return await withConsumeSpan(pump.consumer, message, () => s.handler(message));
      } catch (error) {
        if (!isDependencyOutage(error) || this.stopping) throw error;
        const delay = redeliveryDelay(error, OUTAGE_BACKOFF_ATTEMPT, this.opts.backoffBaseMs ?? 200, this.opts.backoffCapMs ?? 30_000);
        this.opts.onRedelivery?.(pump.consumer, message, error, delay);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async deadLetter(pump: Pump, m: JsMsg, message: DeliveredMessage, error: unknown): Promise<void> {
    const { attempt, ...envelope } = message;
    const record: DeadLetterRecord = {
      consumer: pump.consumer,
      attempts: attempt,
      lastError: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      deadAt: new Date().toISOString(),
      envelope,
    };
    try {
      await this.deadLetters.put(record);
      m.term(); // no reason text: nats-server 2.9 ignores '+TERM <reason>' and would redeliver
      this.opts.onDeadLetter?.(pump.consumer, message, error);
    } catch (e) {
      // Not stored: leave it unacked so it comes back rather than vanish.
      m.nak(1_000);
      this.opts.onError?.(e);
    }
  }

  async stats(): Promise<ConsumerStats[]> {
    const by = new Map<string, ConsumerStats>();
    for (const p of this.pumps) {
      const s = by.get(p.consumer) ?? { consumer: p.consumer, pending: 0, inFlight: 0, dead: 0 };
      const info = await this.jsm.consumers.info(p.stream, p.name);
      s.pending += info.num_pending;
      s.inFlight += p.inFlight.size;
      by.set(p.consumer, s);
    }
    const dead = await this.deadLetters.counts();
    for (const s of by.values()) s.dead = dead.get(s.consumer) ?? 0;
    return [...by.values()];
  }

  async close(timeoutMs = 10_000): Promise<void> {
    await this.drain(timeoutMs);
    // Drain flushes the acks and publishes just sent before the connection goes.
    if (this.nc.isClosed()) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.nc.drain().catch(() => undefined), new Promise((r) => (t = setTimeout(r, 2_000)))]);
    clearTimeout(t);
    if (!this.nc.isClosed()) await this.nc.close().catch(() => undefined);
  }

  async drain(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    // stop() ends the iterator at once; close() would wait on the server, which may be gone.
    for (const p of this.pumps) p.messages?.stop();
    const all = Promise.allSettled(this.pumps.flatMap((p) => [...p.inFlight, p.loop]));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}

/**
 * The Broker port on NATS JetStream: durable pull consumers shared by a service's instances (each
 * message goes to one of them), server-side deduplication by `Nats-Msg-Id`, explicit ack after the
 * handler (and so its transaction) has finished, redelivery with jittered backoff, and after
 * `maxAttempts` a dead letter that is kept, listed and replayable. Trace headers travel as NATS headers.
 * @throws when the server cannot be reached.
 */
export async function createNatsBroker(opts: NatsBrokerOptions): Promise<Broker> {
  const nc = await connect({
    servers: opts.url.split(',').map((s) => s.trim()),
    name: `orderflow-${process.pid}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // Without it every publish and request builds two Error objects up front (their stacks kept in
    // case the call fails): 3.5 % of an orders instance's CPU at full intake. A failed call still
    // says what failed; its stack then ends in the client.
    noAsyncTraces: true,
  });
  const jsm = await jetstreamManager(nc);
  return new NatsBroker(nc, jsm, jetstream(nc), opts);
}
