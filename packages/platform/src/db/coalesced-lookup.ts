/**
 * Calls that share round trips under load: the first call runs at once, alone (no added latency
 * when the service is quiet); calls that arrive while a round trip is in flight wait for it to end
 * and then go together in the next one (at most `maxBatch`). Every call is answered by a round trip
 * issued after it arrived, so it sees every write committed before it arrived: nothing is cached.
 * `run` answers each item in order, an Error failing that item alone; a `run` that throws fails the
 * calls it carried, and only those.
 */
export function createCoalescedBatch<I, O>(run: (items: I[]) => Promise<ReadonlyArray<O | Error>>, maxBatch = 256): (item: I) => Promise<O> {
  const waiting: Array<{ item: I; resolve: (v: O) => void; reject: (e: unknown) => void }> = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, maxBatch);
        try {
          const out = await run(batch.map((w) => w.item));
          batch.forEach((w, i) => {
            const r = out[i];
            if (r instanceof Error) w.reject(r);
            else w.resolve(r as O);
          });
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      running = false;
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!running) void drain();
    });
}

/** Lookups by key on createCoalescedBatch: one query for the distinct keys of a batch. */
export function createCoalescedLookup<K, V>(load: (keys: K[]) => Promise<ReadonlyMap<K, V>>, maxBatch = 256): (key: K) => Promise<V | undefined> {
  return createCoalescedBatch(async (keys: K[]) => {
    const found = await load([...new Set(keys)]);
    return keys.map((k) => found.get(k));
  }, maxBatch);
}
