/** Raised for a command-line value that cannot be used. */
export class OptionError extends Error {
  override name = 'OptionError';
}

/**
 * Seconds from `30`, `30s`, `2m`, `1.5m` or `500ms`.
 * @throws OptionError for anything else or a value that is not positive.
 */
export function parseSeconds(flag: string, text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/.exec(text.trim());
  const value = m ? Number(m[1]) * (m[2] === 'm' ? 60 : m[2] === 'ms' ? 0.001 : 1) : NaN;
  if (!(value > 0)) throw new OptionError(`${flag} must be a positive duration like 30, 30s or 2m, got "${text}"`);
  return value;
}

/**
 * A positive number (`integer` for counts).
 * @throws OptionError otherwise.
 */
export function parsePositive(flag: string, text: string, integer = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new OptionError(`${flag} must be a positive ${integer ? 'whole number' : 'number'}, got "${text}"`);
  }
  return n;
}

/**
 * A base URL (http or https) without a trailing slash.
 * @throws OptionError for anything else.
 */
export function parseTarget(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new OptionError(`--target must be a URL like http://127.0.0.1:8080, got "${text}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OptionError(`--target must be http or https, got "${u.protocol}"`);
  return u.origin;
}
