import { fileURLToPath } from 'node:url';

/** The repository root (bench/lib/ is two levels down), so the runner works from any cwd. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where `latest.json` goes. */
export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
