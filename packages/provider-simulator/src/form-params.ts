import { invalidRequest, type SimReply } from './stripe-errors.ts';

const METADATA_FIELD = /^metadata\[([^\][]{1,40})\]$/;

/** Stripe caps amounts at eight digits. */
const POSITIVE_AMOUNT = /^[1-9]\d{0,7}$/;

/**
 * Rejects form fields other than `allowed` and `metadata[...]` the way Stripe does, and
 * collects the metadata. Returns the metadata, or the 400 reply.
 */
export function readMetadata(form: Map<string, string>, allowed: readonly string[]): Record<string, string> | SimReply {
  const metadata: Record<string, string> = {};
  for (const [name, value] of form) {
    const m = METADATA_FIELD.exec(name);
    if (m) metadata[m[1]!] = value;
    else if (!allowed.includes(name)) return invalidRequest(`Received unknown parameter: ${name}`, name);
  }
  return metadata;
}

/** Reads a required (or, with `optional`, absent-is-undefined) positive integer amount. */
export function readAmount(form: Map<string, string>, optional = false): number | undefined | SimReply {
  const raw = form.get('amount');
  if (raw === undefined) return optional ? undefined : invalidRequest('Missing required param: amount.', 'amount');
  if (!POSITIVE_AMOUNT.test(raw)) {
    return invalidRequest('Invalid positive integer: amount must be a whole number of the smallest currency unit, 1 to 99999999.', 'amount');
  }
  return Number(raw);
}

export function isReply(x: unknown): x is SimReply {
  return typeof x === 'object' && x !== null && 'status' in x && typeof (x as SimReply).status === 'number';
}
