import { floor } from './floor.ts';
import { intake } from './intake.ts';
import { steady } from './steady.ts';
import { tracing } from './tracing.ts';
import { coupled } from './coupled.ts';
import { distributed } from './distributed.ts';
import { memory } from './memory.ts';
import { reads } from './reads.ts';
import { readsUnderWrites } from './reads-under-writes.ts';
import { listAtScale } from './list-at-scale.ts';
import { readsDistributed } from './reads-distributed.ts';
import { groupCommit, pipeline, sqliteReader, writeLane } from './mixed-load.ts';
import type { Benchmark } from './types.ts';

export type { Benchmark, BenchContext } from './types.ts';

/**
 * Every benchmark, in the order `npm run bench` (no name) runs them. Later ones may use
 * earlier results (steady offers a rate derived from intake's e2e median). Add new ones here.
 */
export const benchmarks: readonly Benchmark[] = [intake, steady, tracing, floor, coupled, distributed, memory, reads, readsUnderWrites, pipeline, sqliteReader, groupCommit, writeLane, listAtScale, readsDistributed];
