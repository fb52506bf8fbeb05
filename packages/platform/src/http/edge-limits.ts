import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { platformErrors } from '../errors.ts';
import { toProblem } from './problem.ts';

/** Longest request target (path and query) accepted; longer is a 414. */
export const MAX_URL_LENGTH = 2048;

/** Largest request body accepted by default; larger is a 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Router-level failures (a path parameter past `maxParamLength`, an undecodable URL) as
 * problem+json instead of fastify's plain JSON.
 */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const e =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? platformErrors.create('URI_TOO_LONG', 'A path segment is too long')
      : platformErrors.create('VALIDATION_FAILED', 'The URL could not be decoded');
  const problem = toProblem(e);
  void reply.status(problem.status).type('application/problem+json').send(problem);
}

/**
 * Errors node's HTTP parser raises before fastify sees a request (headers past node's 16 KiB
 * limit, a malformed request line, a client too slow to send its headers): problem+json on the
 * socket, then close it.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? platformErrors.create('HEADERS_TOO_LARGE', 'Request headers are too large')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? platformErrors.create('REQUEST_TIMEOUT', 'The request did not arrive in time')
        : platformErrors.create('BAD_REQUEST', 'The request could not be parsed');
  const body = JSON.stringify(toProblem(e));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Refuses request targets longer than `max` characters with a 414, before routing does any work. */
export function installUrlLimit(app: FastifyInstance, max = MAX_URL_LENGTH): void {
  // Callback-style hooks here and in the other per-request hooks: an async hook costs every
  // request a promise and fastify's then() on it, and with tracing on each promise pays the
  // context propagation hook (see docs/observability.md).
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.url.length > max) return done(platformErrors.create('URI_TOO_LONG', `The URL is longer than ${max} characters`));
    done();
  });
}
