import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@orderflow/platform';

export interface KeysOptions {
  url?: string;
  adminKey?: string;
  json?: boolean;
}

type Action = { kind: 'create'; customerId: string } | { kind: 'revoke'; keyId: string } | { kind: 'list'; customerId: string };

/** The admin key: --admin-key, else ORDERFLOW_ADMIN_KEY, else `<data dir>/admin.key`. */
export function adminKeyFrom(opts: { adminKey?: string | undefined }): string | undefined {
  if (opts.adminKey) return opts.adminKey;
  const config = loadConfig();
  if (config.adminKey) return config.adminKey;
  const file = join(config.dataDir, 'admin.key');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * `orderflow keys create|list|revoke`: talks to the running server's admin API, so the server
 * stays the only writer of its database. Returns the exit code.
 */
export async function keys(action: Action, opts: KeysOptions): Promise<number> {
  const base = (opts.url ?? `http://127.0.0.1:${process.env.ORDERFLOW_PORT || '8080'}`).replace(/\/+$/, '');
  const adminKey = adminKeyFrom(opts);
  if (!adminKey) {
    console.error('no admin key: pass --admin-key, set ORDERFLOW_ADMIN_KEY, or run where <data dir>/admin.key exists');
    return 2;
  }
  const [method, path] =
    action.kind === 'create'
      ? ['POST', `/v1/customers/${encodeURIComponent(action.customerId)}/keys`]
      : action.kind === 'list'
        ? ['GET', `/v1/customers/${encodeURIComponent(action.customerId)}/keys`]
        : ['POST', `/v1/keys/${encodeURIComponent(action.keyId)}/revoke`];
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${adminKey}` } });
  } catch (e) {
    console.error(`cannot reach ${base}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, any>;
  if (!res.ok) {
    console.error(`${res.status} ${body.code ?? ''}: ${body.detail ?? body.title ?? 'request failed'}`);
    return 1;
  }
  if (opts.json) console.log(JSON.stringify(body, null, 2));
  else if (action.kind === 'create') {
    console.log(`key ${body.id} for customer ${body.customerId} (shown once, store it now):`);
    console.log(body.apiKey);
  } else if (action.kind === 'revoke') console.log(`revoked ${body.id} at ${body.revokedAt}`);
  else for (const k of body.items as Array<Record<string, string | null>>) console.log(`${k.id}\tcreated ${k.createdAt}\t${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`);
  return 0;
}
