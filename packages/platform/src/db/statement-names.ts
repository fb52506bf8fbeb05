import { LRUCache } from 'lru-cache';

export interface StatementNamesOptions {
  /** Runs of a text before it is named; default 3 (a text seen once or twice stays unnamed). */
  after?: number;
  /** Named texts per pool at most; default 200 (each is a plan kept on every connection that ran it). */
  max?: number;
}

export interface StatementNames {
  /** The name to prepare `text` under, or undefined to send it unnamed (parsed and planned each run). */
  nameFor(text: string): string | undefined;
  /** Stop naming `text` (the server refused its prepared form, e.g. after the table changed under it). */
  forget(text: string): void;
}

/**
 * Which statements PostgreSQL parses and plans once per connection: the texts that run often get
 * a name, and node-postgres prepares a named statement on a connection's first run of it and only
 * binds and executes it afterwards. The same few dozen texts carry a service's traffic; the
 * variants (a batch of n rows, an IN list of n) beyond `max` stay unnamed. A name is never given to
 * a second text, so a connection never finds a name it prepared with another text.
 */
export function createStatementNames(opts: StatementNamesOptions = {}): StatementNames {
  const after = opts.after ?? 3;
  const max = opts.max ?? 200;
  const counts = new LRUCache<string, number>({ max: 10_000 });
  const names = new Map<string, string>();
  let issued = 0;
  return {
    nameFor(text) {
      const name = names.get(text);
      if (name !== undefined || names.size >= max) return name;
      const runs = (counts.get(text) ?? 0) + 1;
      if (runs < after) {
        counts.set(text, runs);
        return undefined;
      }
      counts.delete(text);
      const fresh = `of_s${++issued}`;
      names.set(text, fresh);
      return fresh;
    },
    forget(text) {
      names.delete(text);
    },
  };
}
