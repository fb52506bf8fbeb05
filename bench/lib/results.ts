import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resultsDir } from './paths.ts';

/** Writes `value` as pretty JSON to bench/results/<name> (via a .tmp and a rename); returns the path. */
export async function writeResults(name: string, value: unknown): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, name);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
  return path;
}
