import { createServer } from 'node:net';

/** Linux hands out ports from 32768 up (`ip_local_port_range`) to every bind to port 0 and every outgoing connection. */
const BELOW_EPHEMERAL = { from: 20_000, to: 32_767 };

const tryListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a process started later to bind. It is
 * drawn below the ephemeral range: a port from that range (what binding port 0 returns) could be
 * handed, before the later bind, to any process that binds port 0 or connects out meanwhile — a
 * cluster's instances do both while HAProxy has yet to bind the entry port.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = BELOW_EPHEMERAL.from + Math.floor(Math.random() * (BELOW_EPHEMERAL.to - BELOW_EPHEMERAL.from + 1));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port between ${BELOW_EPHEMERAL.from} and ${BELOW_EPHEMERAL.to} after 200 tries`);
}
