/**
 * How orderflow lays its events out on NATS JetStream, all under one prefix (`ORDERFLOW_NATS_PREFIX`,
 * default `orderflow`), so runs and tenants never meet:
 *
 * - one stream per producing service, `<prefix>_<source>`, subjects `<prefix>.<source>.>`;
 * - one durable pull consumer per subscribing service and subscribed subject,
 *   `<consumer>__<source>[__<type>]`, shared by all of that service's instances;
 * - one stream `<prefix>_dead` for dead letters (`<prefix>.dead.<consumer>.<messageId>`, one kept per
 *   subject) and for replays (`<prefix>.replay.<consumer>.<messageId>`, read by `<consumer>__replay`).
 */
export interface NatsLayout {
  prefix: string;
  streamOf(source: string): string;
  natsSubject(subject: string): string;
  deadStream: string;
  deadSubject(consumer: string, messageId: string): string;
  replaySubject(consumer: string, messageId: string): string;
  /** The stream, consumer name and filter subject for one subscribed pattern. */
  consumerFor(consumer: string, pattern: string): { stream: string; name: string; filter: string };
  replayConsumer(consumer: string): { stream: string; name: string; filter: string };
}

const NAME = /^[A-Za-z0-9_-]+$/;

function checkName(what: string, v: string): string {
  if (!NAME.test(v)) throw new Error(`${what} "${v}" may hold only letters, digits, "_" and "-" on NATS`);
  return v;
}

export function natsLayout(prefix: string): NatsLayout {
  checkName('NATS prefix', prefix);
  const streamOf = (source: string) => `${prefix}_${checkName('source', source)}`;
  return {
    prefix,
    streamOf,
    natsSubject: (subject) => `${prefix}.${subject}`,
    deadStream: `${prefix}_dead`,
    deadSubject: (consumer, id) => `${prefix}.dead.${consumer}.${id}`,
    replaySubject: (consumer, id) => `${prefix}.replay.${consumer}.${id}`,
    consumerFor(consumer, pattern) {
      checkName('consumer', consumer);
      const dot = pattern.indexOf('.');
      const source = dot < 0 ? pattern : pattern.slice(0, dot);
      const rest = dot < 0 ? '*' : pattern.slice(dot + 1);
      if (rest === '*') return { stream: streamOf(source), name: `${consumer}__${source}`, filter: `${prefix}.${source}.>` };
      return { stream: streamOf(source), name: `${consumer}__${source}__${checkName('event type', rest)}`, filter: `${prefix}.${pattern}` };
    },
    replayConsumer: (consumer) => ({ stream: `${prefix}_dead`, name: `${checkName('consumer', consumer)}__replay`, filter: `${prefix}.replay.${consumer}.>` }),
  };
}
