/**
 * Lookups by key that share queries under load: the first lookup runs at once, alone (no added
 * latency when the service is quiet); lookups that arrive while a query is in flight wait for it
 * to end and then go together in the next one (at most `maxBatch` keys). Every lookup is answered
 * by a query issued after it arrived, so it sees every write committed before it arrived: nothing
 * is cached. A failed query fails the lookups it carried, and only those.
 */
export function createCoalescedLookup<K, V>(load: (keys: K[]) => Promise<ReadonlyMap<K, V>>, maxBatch = 256): (key: K) => Promise<V | undefined> {
  const waiting: Array<{ key: K; resolve: (v: V | undefined) => void; reject: (e: unknown) => void }> = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, maxBatch);
        try {
          const found = await load([...new Set(batch.map((w) => w.key))]);
          for (const w of batch) w.resolve(found.get(w.key));
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      running = false;
    }
  }

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (!running) void drain();
    });
}
