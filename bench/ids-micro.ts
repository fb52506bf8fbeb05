/**
 * What an id costs: `npm run bench:ids-micro`. Every order, event and span id is a UUIDv7
 * (`packages/platform/src/ids.ts`); its random bytes come from a pool refilled 4 KiB at a time.
 * Modes take turns in short blocks (`--rounds`, default 30, of `--ops`, default 20000) in one
 * process; it prints the median ns per id of each and their ratio:
 *   per-call  the same UUIDv7 with its random bytes from `randomBytes` at each call (the earlier code)
 *   pooled    `uuidv7()` as shipped
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createUuidv7, uuidv7 } from '../packages/platform/src/ids.ts';
import { median } from './lib/stats.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, ops: { type: 'string', default: '20000' } } });
const rounds = Number(values.rounds);
const ops = Number(values.ops);
if (!(rounds >= 1) || !(ops >= 1)) throw new Error('usage: --rounds N --ops N');

const perCall = createUuidv7(randomBytes);

const modes: Record<string, () => string> = { 'per-call': () => perCall(), pooled: () => uuidv7() };
const ns: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
let sink = 0;
for (let r = 0; r < rounds + 3; r++) {
  for (const [name, fn] of Object.entries(modes)) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) sink += fn().length;
    const per = Number(process.hrtime.bigint() - t0) / ops;
    if (r >= 3) ns[name]!.push(per); // the first rounds warm the JIT
  }
}
if (sink === 0) throw new Error('nothing ran');
const m = Object.fromEntries(Object.entries(ns).map(([k, v]) => [k, median(v)]));
console.log(`# ids: ${rounds} rounds of ${ops} ids per mode, median ns per id`);
for (const [k, v] of Object.entries(m)) console.log(`${k.padEnd(9)} ${v.toFixed(0).padStart(6)} ns`);
console.log(`per-call / pooled: ${(m['per-call']! / m.pooled!).toFixed(2)}x`);
