import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The admin key: `ORDERFLOW_ADMIN_KEY` when set; otherwise one generated on first start and kept
 * in `<dataDir>/admin.key` (mode 0600), so `npm start` needs no configuration.
 */
export function resolveAdminKey(configured: string | undefined, dataDir: string): { key: string; file?: string } {
  if (configured) return { key: configured };
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'admin.key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), file };
  const key = `ofa_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, file };
}
