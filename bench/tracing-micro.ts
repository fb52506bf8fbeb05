/**
 * Where tracing's cost comes from, without HTTP or load-generator noise:
 * `node --import tsx bench/tracing-micro.ts` runs the intake's database pattern (a read, then a
 * transaction that appends an event to the outbox with the current traceparent), each inside a
 * request span, 16 at a time, in four child processes:
 *   off      no provider (the API's no-op)
 *   als      only the AsyncLocalStorage context manager and the propagator
 *   discard  plus the tracer provider, spans thrown away
 *   on       the real thing: spans to the SQLite store
 * and prints CPU µs per operation for each (best of `--reps`, default 3, interleaved).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { context, propagation, trace } from '@opentelemetry/api';
import type { PlatformTables } from '@orderflow/platform';

const MODES = ['off', 'als', 'discard', 'on'] as const;
type Mode = (typeof MODES)[number];

async function child(mode: Mode, ops: number): Promise<void> {
  const platform = await import('@orderflow/platform');
  const { asyncLocalStorageContextManager } = await import('../packages/platform/src/observability/context-manager.ts');
  const { createLocalTracerProvider } = await import('../packages/platform/src/observability/tracer-provider.ts');
  const { w3cTraceparentPropagator } = await import('../packages/platform/src/observability/traceparent.ts');
  const dir = mkdtempSync(join(tmpdir(), 'tracing-micro-'));
  try {
    if (mode === 'on') platform.registerTracing({ enabled: true, dataDir: dir });
    if (mode === 'als' || mode === 'discard') {
      context.setGlobalContextManager(asyncLocalStorageContextManager());
      propagation.setGlobalPropagator(w3cTraceparentPropagator());
      if (mode === 'discard') trace.setGlobalTracerProvider(createLocalTracerProvider({ sink: { add() {} } }));
    }
    platform.setOutboxHeaderSource(() => platform.traceHeaders());
    const db = await platform.openSqliteDatabase<PlatformTables>({ file: join(dir, 'micro.db'), migrations: platform.platformMigrations });
    const one = (i: number) =>
      platform.withSpan('request', {}, async () => {
        await db.db.selectFrom('outbox').select('id').where('id', '=', 'none').executeTakeFirst();
        await db.transaction((trx) => platform.appendToOutbox(trx, [{ type: 'OrderPlaced', key: `k${i}`, data: {} as never }]));
      });
    for (let i = 0; i < 2000; i++) await one(i); // warm-up
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < ops; i += 16) await Promise.all(Array.from({ length: 16 }, (_, j) => one(i + j)));
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`${((cpu.user + cpu.system) / ops).toFixed(1)}\n`);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { child: { type: 'string' }, reps: { type: 'string', default: '3' }, ops: { type: 'string', default: '20000' } } });
const ops = Number(values.ops);
if (values.child) {
  await child(values.child as Mode, ops);
  process.exit(0);
}
const best = new Map<Mode, number>();
for (let r = 0; r < Number(values.reps); r++) {
  for (const mode of MODES) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', mode, '--ops', String(ops)], { encoding: 'utf8' });
    const us = Number(out.trim());
    best.set(mode, Math.min(best.get(mode) ?? Infinity, us));
  }
}
const off = best.get('off')!;
process.stdout.write(`tracing micro: CPU µs per operation (read + outbox transaction in a request span), best of ${values.reps}\n`);
for (const mode of MODES) process.stdout.write(`  ${mode.padEnd(8)} ${best.get(mode)!.toFixed(1).padStart(7)}  ${mode === 'off' ? '' : `+${(((best.get(mode)! - off) / off) * 100).toFixed(0)}%`}\n`);
