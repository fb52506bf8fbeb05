import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database, Migration } from '../db/database.ts';
import type { Broker, SubscribeOptions } from '../broker/broker.ts';
import type { ReadPath } from '../cache/read-path.ts';

/** What the bootstrap hands each service: its own database, the broker, the HTTP edge, logs. */
export interface ServiceContext {
  readonly name: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly broker: Broker;
  readonly http: FastifyInstance;
  readonly adminKey: string;
  /** Caches (in-process or Redis) and read-your-writes marks for the service's reads. */
  readonly readPath: ReadPath;
  /** Durable subscription; the consumer name defaults to the service name. */
  subscribe(opts: Omit<SubscribeOptions, 'consumer'> & { consumer?: string }): void;
  /**
   * A background job (a sweep, a timer) started where the consumers run: not on a split system's
   * edge thread. `start` returns what stops it at shutdown.
   */
  job(start: () => { stop(): Promise<void> | void }): void;
  /** Runs at shutdown, after HTTP and consumers have drained, before the database closes. */
  onStop(fn: () => Promise<void> | void): void;
}

/** A bounded context: a name, its own migrations, and a setup that registers routes and handlers. */
export interface ServiceModule {
  readonly name: string;
  readonly migrations: readonly Migration[];
  setup(ctx: ServiceContext): Promise<void>;
}
