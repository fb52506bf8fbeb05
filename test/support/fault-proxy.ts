import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does to traffic; modes apply to data flowing after the change. */
export interface FaultMode {
  /** Added before each chunk is forwarded, both directions. */
  latencyMs?: number;
  /** Bytes per second per direction per connection; 0 or unset: unlimited. */
  bandwidthBytesPerSec?: number;
  /** Accept connections and swallow their bytes; nothing reaches the target, nothing comes back. */
  blackhole?: boolean;
  /** New connections are reset (RST) at once. */
  refuse?: boolean;
}

export interface FaultProxy {
  readonly port: number;
  readonly host: string;
  /** Replaces the mode. */
  set(mode: FaultMode): void;
  /** Resets (RST) every open connection. */
  resetAll(): void;
  /** Back to a plain pass-through. */
  heal(): void;
  connections(): number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP proxy (node:net) between orderflow and one dependency that can add latency, cut
 * bandwidth, blackhole traffic, refuse or reset connections, while the test runs. Loopback only.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = {};
  const open = new Set<Socket>();

  /** Forwards `from` to `to` in order, applying the mode as it is when each chunk arrives. */
  function pipe(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const m = mode;
      if (m.blackhole) return;
      if (!m.latencyMs && !m.bandwidthBytesPerSec) {
        chain = chain.then(() => void (to.writable && to.write(chunk)));
        return;
      }
      from.pause();
      chain = chain.then(async () => {
        if (m.latencyMs) await sleep(m.latencyMs);
        const rate = m.bandwidthBytesPerSec ?? 0;
        if (rate > 0) {
          const slice = Math.max(1, Math.floor(rate / 20));
          for (let i = 0; i < chunk.length; i += slice) {
            if (!to.writable) break;
            to.write(chunk.subarray(i, i + slice));
            await sleep(50);
          }
        } else if (to.writable) to.write(chunk);
        from.resume();
      });
    });
    from.on('end', () => void chain.then(() => to.end()));
  }

  const server: Server = createServer((client) => {
    if (mode.refuse) {
      client.resetAndDestroy();
      return;
    }
    open.add(client);
    const upstream = connect(target.port, target.host);
    open.add(upstream);
    const drop = () => {
      open.delete(client);
      open.delete(upstream);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', () => (client.destroyed ? undefined : client.resetAndDestroy())).on('close', drop);
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    host: '127.0.0.1',
    set: (m) => void (mode = { ...m }),
    heal: () => void (mode = {}),
    resetAll() {
      for (const s of open) if (!s.destroyed) s.resetAndDestroy();
      open.clear();
    },
    connections: () => open.size / 2,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
