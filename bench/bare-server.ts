/**
 * The baseline: the least a Node HTTP server can do for a POST /v1/orders — read the body,
 * answer 202 with a small JSON. Run as a child (`node --import tsx bench/bare-server.ts`), it
 * listens on 127.0.0.1 and an OS-chosen port (or BARE_PORT) and prints one JSON line with the
 * port and url on stdout. SIGTERM/SIGINT close it.
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    // The body is read in full, as a real handler must, but not parsed: this is the floor.
    void Buffer.concat(chunks);
    const body = JSON.stringify({ id: randomUUID(), status: 'pending' });
    res.writeHead(202, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});

server.listen(Number(process.env.BARE_PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'bare started', port, url: `http://127.0.0.1:${port}` })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
