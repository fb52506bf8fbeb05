/**
 * Where tracing's cost comes from, without HTTP or load-generator noise:
 * `node --import tsx bench/tracing-micro.ts` runs the intake's database pattern (a read, then a
 * transaction that appends an event to the outbox with the current traceparent), each inside a
 * request span, 16 at a time, in four modes:
 *   off      no provider (the API's no-op)
 *   als      only the AsyncLocalStorage context manager and the propagator
 *   discard  plus the tracer provider, spans thrown away
 *   on       the real thing: spans to the SQLite span store
 * The modes take turns in short blocks (`--rounds`, default 40, of `--ops`, default 500) inside one
 * process, on one database, so drift on a shared machine (other processes, CPU frequency) hits
 * every mode alike; it prints the CPU µs per operation of each (median over the rounds) and what
 * each layer adds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { context, propagation, trace } from '@opentelemetry/api';
import * as platform from '@orderflow/platform';
import type { PlatformTables } from '@orderflow/platform';
import { asyncLocalStorageContextManager } from '../packages/platform/src/observability/context-manager.ts';
import { createLocalTracerProvider } from '../packages/platform/src/observability/tracer-provider.ts';
import { w3cTraceparentPropagator } from '../packages/platform/src/observability/traceparent.ts';
import { median } from './lib/stats.ts';

const MODES = ['off', 'als', 'discard', 'on'] as const;
type Mode = (typeof MODES)[number];

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '40' }, ops: { type: 'string', default: '500' } } });
const rounds = Number(values.rounds);
const opsPerBlock = Number(values.ops);

const dir = mkdtempSync(join(tmpdir(), 'tracing-micro-'));
try {
  const store = platform.createSpanStore({ file: join(dir, 'traces.db'), flushMs: 250 });
  const providers = { discard: createLocalTracerProvider({ sink: { add() {} } }), on: createLocalTracerProvider({ sink: store }) };
  platform.setOutboxHeaderSource(() => platform.traceHeaders());
  const db = await platform.openSqliteDatabase<PlatformTables>({ file: join(dir, 'micro.db'), migrations: platform.platformMigrations });

  /** Registers what `mode` has, as registerTracing would (the store outlives the blocks). */
  const enter = (mode: Mode) => {
    if (mode === 'off') return;
    context.setGlobalContextManager(asyncLocalStorageContextManager());
    propagation.setGlobalPropagator(w3cTraceparentPropagator());
    if (mode !== 'als') trace.setGlobalTracerProvider(providers[mode]);
  };
  // Disabling the last AsyncLocalStorage removes Node's promise hook again.
  const leave = () => {
    trace.disable();
    propagation.disable();
    context.disable();
  };

  let seq = 0;
  const one = () =>
    platform.withSpan('request', {}, async () => {
      const i = seq++;
      await db.db.selectFrom('outbox').select('id').where('id', '=', 'none').executeTakeFirst();
      await db.transaction((trx) => platform.appendToOutbox(trx, [{ type: 'OrderPlaced', key: `k${i}`, data: {} as never }]));
    });
  const block = async (mode: Mode, ops: number): Promise<number> => {
    enter(mode);
    try {
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < ops; i += 16) await Promise.all(Array.from({ length: 16 }, one));
      if (mode === 'on') store.flush(); // the store's writes count for the mode that made them
      const cpu = process.cpuUsage(cpu0);
      return (cpu.user + cpu.system) / ops;
    } finally {
      leave();
    }
  };
  // The outbox grows with every op; keep it small so late rounds cost what early ones did.
  const trim = () => db.db.deleteFrom('outbox').execute();

  for (const mode of MODES) await block(mode, 500); // warm-up: JIT, statement cache
  const perOp = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so no mode always runs first (or right after the store's flush).
    const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]!);
    for (const mode of order) perOp.get(mode)!.push(await block(mode, opsPerBlock));
    await trim();
  }
  await db.close();
  store.close();

  const med = new Map(MODES.map((m) => [m, median(perOp.get(m)!)]));
  const off = med.get('off')!;
  const layer: Record<Mode, string> = { off: '', als: 'context manager', discard: 'spans', on: 'span store' };
  process.stdout.write(`tracing micro: CPU µs per operation (read + outbox transaction in a request span), median of ${rounds} interleaved rounds of ${opsPerBlock} ops\n`);
  MODES.forEach((mode, i) => {
    const us = med.get(mode)!;
    const added = i === 0 ? '' : `  +${(((us - off) / off) * 100).toFixed(0)}% over off, ${layer[mode]} +${(us - med.get(MODES[i - 1]!)!).toFixed(1)} µs`;
    process.stdout.write(`  ${mode.padEnd(8)} ${us.toFixed(1).padStart(7)}${added}\n`);
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
