/** One backend server: a service instance on loopback. */
export interface Upstream {
  name: string;
  port: number;
}

/**
 * The entry's HAProxy configuration: one frontend serving the v1 API, a backend per service with
 * an HTTP health check on `/readyz` (a draining or dead instance leaves the rotation within ~2 s)
 * and retries only where nothing reached the instance (`retry-on conn-failure`), so a POST is
 * never sent twice.
 */
export function haproxyConfig(opts: { host: string; port: number; orders: Upstream[]; inventory: Upstream[]; docs: Upstream }): string {
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
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 30s',
    '  option http-keep-alive',
    `frontend api`,
    `  bind ${opts.host}:${opts.port}`,
    '  acl inventory path_beg /v1/products',
    '  use_backend inventory if inventory',
    '  acl docs path /openapi.json',
    '  use_backend docs if docs',
    '  default_backend orders',
    backend('orders', opts.orders),
    backend('inventory', opts.inventory),
    'backend docs',
    `  server ${opts.docs.name} 127.0.0.1:${opts.docs.port}`,
    '',
  ].join('\n');
}
