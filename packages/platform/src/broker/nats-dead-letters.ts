import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { EventEnvelope } from '@orderflow/contracts';
import type { DeadLetter } from './broker.ts';
import type { NatsLayout } from './nats-layout.ts';

/** What the dead-letter stream holds for one (consumer, message). */
export interface DeadLetterRecord {
  consumer: string;
  attempts: number;
  lastError: string;
  deadAt: string;
  envelope: EventEnvelope;
}

export interface NatsDeadLetters {
  list(opts?: { consumer?: string; limit?: number }): Promise<DeadLetter[]>;
  replay(id: string): Promise<boolean>;
  put(record: DeadLetterRecord): Promise<void>;
  /** Dead letters per consumer. */
  counts(): Promise<Map<string, number>>;
}

function toDeadLetter(r: DeadLetterRecord): DeadLetter {
  return {
    id: `${r.consumer}:${r.envelope.id}`,
    consumer: r.consumer,
    messageId: r.envelope.id,
    subject: r.envelope.subject,
    type: r.envelope.type,
    key: r.envelope.key,
    attempts: r.attempts,
    lastError: r.lastError,
    deadAt: r.deadAt,
    data: r.envelope.data,
  };
}

/**
 * Dead letters on their own stream, one subject per (consumer, message) with one message kept per
 * subject: a second failure of the same message replaces the first, never doubles it. Replay
 * publishes the envelope on the consumer's replay subject (only that consumer sees it again) and
 * deletes the dead letter.
 */
export function createNatsDeadLetters(deps: { jsm: JetStreamManager; js: JetStreamClient; layout: NatsLayout; ensureStream: () => Promise<void> }): NatsDeadLetters {
  const { jsm, js, layout } = deps;
  const deadPrefix = `${layout.prefix}.dead.`;

  async function subjects(consumer?: string): Promise<string[]> {
    await deps.ensureStream();
    const filter = consumer ? `${deadPrefix}${consumer}.>` : `${deadPrefix}>`;
    const info = await jsm.streams.info(layout.deadStream, { subjects_filter: filter });
    return Object.keys(info.state.subjects ?? {});
  }

  async function get(subject: string): Promise<{ seq: number; record: DeadLetterRecord } | undefined> {
    try {
      const m = await jsm.streams.getMessage(layout.deadStream, { last_by_subj: subject });
      return m ? { seq: m.seq, record: m.json<DeadLetterRecord>() } : undefined;
    } catch {
      return undefined; // no message on that subject (deleted meanwhile)
    }
  }

  return {
    async put(record) {
      await deps.ensureStream();
      await js.publish(layout.deadSubject(record.consumer, record.envelope.id), JSON.stringify(record));
    },
    async list(opts = {}) {
      const found: DeadLetterRecord[] = [];
      for (const s of await subjects(opts.consumer)) {
        const r = await get(s);
        if (r) found.push(r.record);
      }
      found.sort((a, b) => b.deadAt.localeCompare(a.deadAt));
      return found.slice(0, opts.limit ?? 100).map(toDeadLetter);
    },
    async replay(id) {
      const colon = id.indexOf(':');
      if (colon < 0) return false;
      const consumer = id.slice(0, colon);
      const messageId = id.slice(colon + 1);
      if (!/^[A-Za-z0-9_-]+$/.test(consumer) || !/^[A-Za-z0-9_-]+$/.test(messageId)) return false;
      await deps.ensureStream();
      const r = await get(layout.deadSubject(consumer, messageId));
      if (!r) return false;
      await js.publish(layout.replaySubject(consumer, messageId), JSON.stringify(r.record.envelope), { msgID: `replay-${consumer}-${messageId}-${r.seq}` });
      try {
        await jsm.streams.deleteMessage(layout.deadStream, r.seq);
      } catch (error) {
        // The replayed message can fail again and be dead-lettered before this delete: the new
        // dead letter replaces this one on its subject (one kept per subject), so it is gone already.
        if ((await get(layout.deadSubject(consumer, messageId)))?.seq === r.seq) throw error;
      }
      return true;
    },
    async counts() {
      const out = new Map<string, number>();
      for (const s of await subjects()) {
        const consumer = s.slice(deadPrefix.length, s.lastIndexOf('.'));
        out.set(consumer, (out.get(consumer) ?? 0) + 1);
      }
      return out;
    },
  };
}
