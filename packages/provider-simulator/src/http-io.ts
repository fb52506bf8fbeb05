import type { IncomingMessage, ServerResponse } from 'node:http';
import { newId } from './ids.ts';
import type { SimReply } from './stripe-errors.ts';

/** Largest request body the simulator reads; Stripe requests are a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Reads the whole body as UTF-8, or returns undefined once it passes `MAX_BODY_BYTES`. */
export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses an `application/x-www-form-urlencoded` body; a repeated field keeps its last value. */
export function parseForm(text: string): Map<string, string> {
  return new Map(new URLSearchParams(text));
}

export function writeReply(res: ServerResponse, reply: SimReply): void {
  const text = reply.raw ?? JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': newId('req'),
    ...reply.headers,
  });
  res.end(text);
}
