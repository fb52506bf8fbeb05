import { join } from 'node:path';
import { createEmbeddedBroker, createNatsBroker, loadConfig } from '@orderflow/platform';

/**
 * `orderflow dead-letters list|replay`: reads the embedded broker under ORDERFLOW_DATA_DIR directly,
 * or with ORDERFLOW_MODE=distributed the dead-letter stream on NATS (ORDERFLOW_NATS_URL, _PREFIX).
 */
export async function deadLetters(action: 'list' | 'replay', id: string | undefined, opts: { json?: boolean; consumer?: string }): Promise<number> {
  const config = loadConfig();
  const nats = config.distributed.nats;
  const broker =
    config.distributed.mode === 'distributed'
      ? await createNatsBroker({ url: nats.url, prefix: nats.prefix })
      : createEmbeddedBroker({ file: join(config.dataDir, 'broker.db') });
  try {
    if (action === 'replay') {
      if (!id) {
        console.error('usage: orderflow dead-letters replay <id>');
        return 2;
      }
      const ok = await broker.deadLetters.replay(id);
      console.log(ok ? `replayed ${id}` : `no dead letter ${id}`);
      return ok ? 0 : 1;
    }
    const items = await broker.deadLetters.list(opts.consumer ? { consumer: opts.consumer } : {});
    if (opts.json) console.log(JSON.stringify(items, null, 2));
    else if (items.length === 0) console.log('no dead letters');
    else for (const d of items) console.log(`${d.id}\t${d.type}\tkey=${d.key}\tattempts=${d.attempts}\t${d.deadAt}\t${d.lastError}`);
    return 0;
  } finally {
    await broker.close(0);
  }
}
