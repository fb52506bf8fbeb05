import { MAX_BODY_BYTES, platformErrors, toProblem, type PlatformErrorCode } from '@orderflow/platform';

/** One backend server: a service instance on loopback. */
export interface Upstream {
  name: string;
  port: number;
}

/**
 * HAProxy's buffer per request. Its default (16 KiB) would make HAProxy itself refuse headers just
 * past node's 16 KiB limit with its own 400; four times that lets the instance answer with its
 * 431 HEADERS_TOO_LARGE. Past it, HAProxy answers 400 BAD_REQUEST (below).
 */
export const HAPROXY_BUFSIZE = 64 * 1024;

/**
 * The answers HAProxy gives itself (a request it cannot parse, a client too slow, no instance
 * ready, an instance that died or stalled mid-answer, a body over the limit) in orderflow's own
 * shape: problem+json with a code from the platform registry, as an instance would answer.
 */
const ENTRY_ERRORS: Array<[number, PlatformErrorCode, string]> = [
  [400, 'BAD_REQUEST', 'The request could not be parsed'],
  [408, 'REQUEST_TIMEOUT', 'The request did not arrive in time'],
  [413, 'BODY_TOO_LARGE', 'Request body is too large'],
  [500, 'INTERNAL', 'Something went wrong; it has been logged.'],
  [502, 'BAD_GATEWAY', 'The instance that took the request failed before it answered; retry with the same Idempotency-Key'],
  [503, 'NOT_READY', 'No instance of the service is ready; retry shortly'],
  [504, 'GATEWAY_TIMEOUT', 'The instance did not answer in time; retry with the same Idempotency-Key'],
];

function httpErrors(): string[] {
  return ENTRY_ERRORS.map(([status, code, detail]) => {
    const body = JSON.stringify(toProblem(platformErrors.create(code, detail)));
    // Single quotes: HAProxy takes the text as it is (no escapes, no variables).
    if (body.includes("'") || status !== platformErrors.specs[code].status) throw new Error(`entry error ${status} ${code} cannot be configured`);
    const retryAfter = status === 503 ? ' hdr retry-after 1' : '';
    return `  http-error status ${status} content-type application/problem+json string '${body}'${retryAfter}`;
  });
}

/**
 * The entry's HAProxy configuration: one frontend serving the v1 API, a backend per service with
 * an HTTP health check on `/readyz` (a draining or dead instance leaves the rotation within ~2 s)
 * and retries only where nothing reached the instance (`retry-on conn-failure`), so a POST is
 * never sent twice. A client sees orderflow's contract through it: headers up to HAPROXY_BUFSIZE
 * reach an instance (which refuses past 16 KiB with its 431), a declared body over MAX_BODY_BYTES
 * is refused at the entry before any of it is forwarded, and every answer HAProxy gives itself is
 * problem+json. `/openapi.json` and `/dashboard/data` go to the parent's merging servers (`docs`, `dashboard`).
 */
export function haproxyConfig(opts: { host: string; port: number; orders: Upstream[]; inventory: Upstream[]; docs: Upstream; dashboard: Upstream }): string {
  const backend = (name: string, ups: Upstream[]) =>
    [
      `backend ${name}`,
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      '  retries 3',
      '  retry-on conn-failure',
      '  option redispatch 1',
      ...ups.map((u) => `  server ${u.name} 127.0.0.1:${u.port} check inter 1s fall 2 rise 1`),
    ].join('\n');
  return [
    'global',
    '  maxconn 4096',
    `  tune.bufsize ${HAPROXY_BUFSIZE}`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 30s',
    '  option http-keep-alive',
    ...httpErrors(),
    `frontend api`,
    `  bind ${opts.host}:${opts.port}`,
    // An instance would refuse it too, but only after the upload began: it then closes with the
    // rest unread, and the reset can reach the client before the 413 does.
    `  http-request deny deny_status 413 if { req.hdr_val(content-length) gt ${MAX_BODY_BYTES} }`,
    '  acl inventory path_beg /v1/products',
    '  use_backend inventory if inventory',
    '  acl docs path /openapi.json',
    '  use_backend docs if docs',
    // The page itself comes from any orders instance; the data it polls is the whole cluster's.
    '  acl dashboard_data path /dashboard/data',
    '  acl read method GET HEAD',
    '  use_backend dashboard if dashboard_data read',
    '  default_backend orders',
    backend('orders', opts.orders),
    backend('inventory', opts.inventory),
    'backend docs',
    `  server ${opts.docs.name} 127.0.0.1:${opts.docs.port}`,
    'backend dashboard',
    `  server ${opts.dashboard.name} 127.0.0.1:${opts.dashboard.port}`,
    '',
  ].join('\n');
}
