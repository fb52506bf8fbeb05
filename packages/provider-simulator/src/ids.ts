import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Makes a Stripe-looking object id such as `pi_3MtwBwLkdIwHu7ix28a3tqPa`: the prefix, an
 * underscore and 24 random base-62 characters.
 */
export function newId(prefix: 'pi' | 're' | 'req'): string {
  const bytes = randomBytes(24);
  let out = `${prefix}_`;
  // 256 % 62 leaves a slight bias toward the first characters; harmless for ids.
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}
