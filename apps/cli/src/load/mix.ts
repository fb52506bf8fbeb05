/** The requests the load generator can send to orderflow. */
export const OPERATIONS = ['place', 'get', 'list'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Share of each operation, in percent of arrivals (they sum to 100). */
export type Mix = Readonly<Record<Operation, number>>;

/** Raised for a `--mix` that cannot be used; the message says why. */
export class MixError extends Error {
  override name = 'MixError';
}

/**
 * Parses `place=70,get=25,list=5`. Missing operations get 0; the weights must be non-negative
 * integers or decimals that sum to 100 (within 0.01).
 * @throws MixError on an unknown operation, a bad number, a repeated name or a sum other than 100.
 */
export function parseMix(text: string): Mix {
  const out: Record<Operation, number> = { place: 0, get: 0, list: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([a-z]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)$/.exec(part);
    if (!m) throw new MixError(`"${part}" is not name=percent`);
    const name = m[1]!;
    if (!(OPERATIONS as readonly string[]).includes(name)) throw new MixError(`unknown operation "${name}"; one of ${OPERATIONS.join(', ')}`);
    if (seen.has(name)) throw new MixError(`"${name}" given twice`);
    seen.add(name);
    out[name as Operation] = Number(m[2]);
  }
  const sum = OPERATIONS.reduce((a, op) => a + out[op], 0);
  if (Math.abs(sum - 100) > 0.01) throw new MixError(`the percentages sum to ${sum}, not 100`);
  return out;
}

/** `place=70,get=25,list=5`, operations with 0 left out. */
export function formatMix(mix: Mix): string {
  return OPERATIONS.filter((op) => mix[op] > 0).map((op) => `${op}=${mix[op]}`).join(',');
}

/**
 * Deterministic weighted choice (smooth weighted round robin): over any 100 consecutive picks
 * each operation comes up its percentage of times, interleaved rather than in runs, so a short
 * step still sees the configured mix.
 */
export function mixPicker(mix: Mix): () => Operation {
  const current: Record<Operation, number> = { place: 0, get: 0, list: 0 };
  const active = OPERATIONS.filter((op) => mix[op] > 0);
  const total = active.reduce((a, op) => a + mix[op], 0);
  return () => {
    let best = active[0]!;
    for (const op of active) {
      current[op] += mix[op];
      if (current[op] > current[best]) best = op;
    }
    current[best] -= total;
    return best;
  };
}
