import pg from 'pg';

/** A statement for `PgBatch`: text with `$n` placeholders and its values. */
export interface BatchStatement {
  sql: string;
  parameters: readonly unknown[];
}

/** One statement's answer: its rows (parsed as the pool's types parse them) and the count the server reported. */
export interface BatchResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number;
}

interface TypeSource {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown;
}

interface Field {
  name: string;
  dataTypeID: number;
  format: 'text' | 'binary';
}

/** The connection's message writers a batch uses (pg's `Connection`; not part of its typings). */
interface Wire {
  stream: { cork?: () => void; uncork?: () => void };
  parse(msg: { text: string; name?: string; types?: unknown[] }): void;
  bind(msg: { portal?: string; statement?: string; values: readonly unknown[]; valueMapper?: (v: unknown) => unknown }): void;
  describe(msg: { type: 'P' | 'S'; name?: string }): void;
  execute(msg: { portal?: string; rows?: number }): void;
  sync(): void;
}

/**
 * Several statements sent to PostgreSQL together, as one transaction, in one round trip: each is
 * parsed, bound, described and executed (unnamed statement and portal, the extended protocol),
 * and a single Sync follows the last. Without a `begin`, the server runs everything before a Sync
 * as one implicit transaction: the first failing statement skips the rest and rolls all of it
 * back; the Sync commits otherwise. node-postgres takes it as a custom query (`client.query(batch)`,
 * like pg-cursor): the connection carries nothing else meanwhile, and its messages are written
 * with one system call. `done` resolves with one result per statement, or rejects with the first
 * error (the server's, with its SQLSTATE in `code`).
 */
export class PgBatch implements pg.Submittable {
  readonly done: Promise<BatchResult[]>;
  private resolve!: (r: BatchResult[]) => void;
  private reject!: (e: unknown) => void;
  private readonly results: BatchResult[] = [];
  private current: BatchResult = { rows: [], rowCount: 0 };
  private fields: Field[] = [];
  private parsers: Array<(value: string) => unknown> = [];
  private settled = false;

  constructor(
    private readonly statements: readonly BatchStatement[],
    private readonly types: TypeSource,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: unknown): void {
    const wire = connection as Wire;
    wire.stream.cork?.();
    try {
      for (const s of this.statements) {
        wire.parse({ text: s.sql });
        wire.bind({ values: s.parameters, valueMapper: prepareValue });
        wire.describe({ type: 'P', name: '' });
        wire.execute({ portal: '' });
      }
      wire.sync();
    } finally {
      wire.stream.uncork?.();
    }
  }

  handleRowDescription(msg: { fields: Field[] }): void {
    this.fields = msg.fields;
    this.parsers = msg.fields.map((f) => this.types.getTypeParser(f.dataTypeID, f.format));
  }

  handleDataRow(msg: { fields: Array<string | null> }): void {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < this.fields.length; i++) {
      const raw = msg.fields[i];
      row[this.fields[i]!.name] = raw === null || raw === undefined ? null : this.parsers[i]!(raw);
    }
    this.current.rows.push(row);
  }

  handleCommandComplete(msg: { text: string }): void {
    const count = /(\d+)$/.exec(msg.text);
    this.current.rowCount = count ? Number(count[1]) : 0;
    this.results.push(this.current);
    this.current = { rows: [], rowCount: 0 };
    this.fields = [];
    this.parsers = [];
  }

  handleEmptyQuery(): void {
    this.results.push(this.current);
    this.current = { rows: [], rowCount: 0 };
  }

  /** The server skips what follows up to the Sync and answers ReadyForQuery to the client alone. */
  handleError(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }

  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.results.length !== this.statements.length) this.reject(new Error(`batch of ${this.statements.length} statements answered ${this.results.length}`));
    else this.resolve(this.results);
  }

  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
}

/** Values bound as node-postgres binds its own queries' (dates, JSON, arrays, buffers). */
const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;
