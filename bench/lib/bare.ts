import { startNode, type Child } from './child.ts';

/** A running bare baseline server. */
export interface BareServer {
  readonly url: string;
  readonly child: Child;
}

/** Starts bench/bare-server.ts as a child process and waits for its port. */
export async function startBare(): Promise<BareServer> {
  const { child, value } = await startNode({
    label: 'bare server',
    args: ['bench/bare-server.ts'],
    ready: (line) => (line.msg === 'bare started' && typeof line.url === 'string' ? line.url : undefined),
    readyTimeoutMs: 15_000,
  });
  return { url: value, child };
}
