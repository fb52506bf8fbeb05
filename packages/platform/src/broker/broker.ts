import type { EventEnvelope } from '@orderflow/contracts';

/** An event as a consumer receives it: the envelope plus which delivery attempt this is (1-based). */
export interface DeliveredMessage extends EventEnvelope {
  attempt: number;
}

export type MessageHandler = (message: DeliveredMessage) => Promise<void>;

export interface SubscribeOptions {
  /** Durable consumer name, shared by every instance of the subscribing service (a queue group). */
  consumer: string;
  /** Exact subjects, or a prefix wildcard such as `orders.*`. */
  subjects: readonly string[];
  handler: MessageHandler;
  /** Messages handled at once by this instance; default 16. Messages with the same key never run together. */
  concurrency?: number;
}

export interface DeadLetter {
  /** `<consumer>:<messageId>`: what replay takes. */
  id: string;
  consumer: string;
  messageId: string;
  subject: string;
  type: string;
  key: string;
  attempts: number;
  lastError: string;
  deadAt: string;
  data: unknown;
}

export interface ConsumerStats {
  consumer: string;
  /** Waiting to be delivered (lag). */
  pending: number;
  inFlight: number;
  dead: number;
}

/**
 * The Broker port: at-least-once delivery of published events to every durable consumer that
 * subscribes to their subject, retry with backoff, and a dead letter after the last attempt.
 * Adapters: the embedded SQLite broker and NATS JetStream.
 */
export interface Broker {
  /** Stores the events durably; an id already seen is dropped (deduplication). */
  publish(events: readonly EventEnvelope[]): Promise<void>;
  /** Registers a durable consumer; delivery begins at `start()`. */
  subscribe(opts: SubscribeOptions): void;
  start(): Promise<void>;
  deadLetters: {
    list(opts?: { consumer?: string; limit?: number }): Promise<DeadLetter[]>;
    /** Puts a dead letter back for delivery with a fresh attempt count; false if no such dead letter. */
    replay(id: string): Promise<boolean>;
  };
  stats(): Promise<ConsumerStats[]>;
  /** Stops fetching and waits for handlers in flight (up to `timeoutMs`); publishing still works. */
  drain(timeoutMs?: number): Promise<void>;
  /** Drains (if not yet done), then closes. */
  close(timeoutMs?: number): Promise<void>;
}

/** Thrown (or set as `retryable: false` on an error) to send a message straight to dead letters. */
export function isNonRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false;
}

/** Codes of the resilience kit's errors that say a dependency is down or saturated, not that the message is bad. */
const OUTAGE_CODES = new Set(['DEPENDENCY_CIRCUIT_OPEN', 'DEPENDENCY_UNAVAILABLE', 'DEPENDENCY_BULKHEAD_FULL', 'DEPENDENCY_TIMEOUT']);

/**
 * A handler failure caused by a dependency outage (an open breaker, a refused or cut connection, a
 * full bulkhead, a call past its budget). The broker retries such a delivery without spending one
 * of its attempts: a database restart or a provider stall must not turn good events into dead
 * letters; only failures of the message itself count toward `maxAttempts`.
 */
export function isDependencyOutage(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && OUTAGE_CODES.has(code) && !isNonRetryable(error);
}

/** The backoff exponent for outage retries: up to base × 2^5 (6.4 s with the default 200 ms), capped. */
export const OUTAGE_BACKOFF_ATTEMPT = 5;

export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern.endsWith('.*')) return subject.startsWith(pattern.slice(0, -1));
  return pattern === subject;
}
