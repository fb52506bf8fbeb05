import type { BenchContext } from '../benchmarks/types.ts';

/** One run of an on/off comparison: both sides measured back to back. */
export interface OnOffRun<S> {
  readonly run: number;
  readonly on: S;
  readonly off: S;
}

/**
 * The tier's number of runs, each measuring `side('on')` and `side('off')` back to back, the
 * order alternating from run to run so drift (other load, heat) does not favour one side.
 */
export async function onOffRuns<S>(ctx: BenchContext, name: string, side: (which: 'on' | 'off') => Promise<S>): Promise<Array<OnOffRun<S>>> {
  const runs: Array<OnOffRun<S>> = [];
  for (let i = 1; i <= ctx.scenario.runs; i++) {
    ctx.log(`${name} run ${i}/${ctx.scenario.runs}`);
    const first = i % 2 === 1 ? 'on' : 'off';
    const a = await side(first);
    const b = await side(first === 'on' ? 'off' : 'on');
    const [on, off] = first === 'on' ? [a, b] : [b, a];
    runs.push({ run: i, on, off });
  }
  return runs;
}
