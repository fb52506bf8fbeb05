import type { Kysely } from 'kysely';
import { EVENT_VERSION, subjectFor, type EventEnvelope, type EventMap, type EventType } from '@orderflow/contracts';
import { uuidv7 } from '../ids.ts';
import type { PlatformTables } from '../db/platform-migrations.ts';

/** An event to publish, written with the data it describes. */
export interface NewEvent<T extends EventType = EventType> {
  type: T;
  key: string;
  data: EventMap[T];
  /** Transport headers; default: the header source's, read when the event is appended. */
  headers?: Record<string, string>;
}

/** Supplies transport headers for new events, e.g. the current `traceparent`. Set by observability. */
let headerSource: () => Record<string, string> = () => ({});

/** The headers a new event gets now (the current trace context): for events appended later, elsewhere. */
export function currentOutboxHeaders(): Record<string, string> {
  return headerSource();
}

export function setOutboxHeaderSource(fn: () => Record<string, string>): void {
  headerSource = fn;
}

/**
 * Writes events into the outbox inside the caller's transaction, so they exist if and only if
 * the state change that caused them commits. The relay publishes them afterwards.
 */
export async function appendToOutbox(trx: Kysely<any>, events: readonly NewEvent[]): Promise<EventEnvelope[]> {
  if (events.length === 0) return [];
  const { insert, envelopes } = outboxInsert(trx, events);
  await insert.execute();
  return envelopes;
}

/**
 * The insert that appends `events` to the outbox, not yet run (for `Database.writeTogether`, with
 * the state change the events describe), and the envelopes it writes. `events` must not be empty.
 */
export function outboxInsert(k: Kysely<any>, events: readonly NewEvent[]) {
  const headers = headerSource();
  const now = new Date().toISOString();
  const envelopes: EventEnvelope[] = events.map((e) => {
    const subject = subjectFor(e.type);
    return {
      id: uuidv7(),
      type: e.type,
      version: EVENT_VERSION,
      source: subject.slice(0, subject.indexOf('.')),
      subject,
      key: e.key,
      occurredAt: now,
      data: e.data,
      headers: e.headers ?? headers,
    };
  });
  const insert = (k as Kysely<PlatformTables>).insertInto('outbox').values(
    envelopes.map((e) => ({
      id: e.id,
      type: e.type,
      subject: e.subject,
      version: e.version,
      source: e.source,
      key: e.key,
      data: JSON.stringify(e.data),
      headers: JSON.stringify(e.headers),
      occurred_at: e.occurredAt,
    })),
  );
  return { insert, envelopes };
}
