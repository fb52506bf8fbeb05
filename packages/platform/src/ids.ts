import { randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn from a 4 KiB pool filled by one call (256 ids' worth), as Node's own
 * `randomUUID` does: a call into OpenSSL per id cost 2.7 % of an orders instance's CPU at full
 * intake. `npm run bench:ids-micro` weighs it.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomBytesFromPool(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

/**
 * A UUIDv7 generator (RFC 9562): 48-bit millisecond time then randomness from `random`, so ids
 * sort by creation time. Within one millisecond a 12-bit counter keeps them monotonic.
 */
export function createUuidv7(random: (n: number) => Buffer): (now?: number) => string {
  let lastMs = 0;
  let seq = 0;
  return (now = Date.now()) => {
    if (now <= lastMs) {
      seq = (seq + 1) & 0xfff;
      if (seq === 0) lastMs += 1;
      now = lastMs;
    } else {
      lastMs = now;
      seq = random(2).readUInt16BE(0) & 0x3ff;
    }
    const b = random(16);
    b.writeUIntBE(now, 0, 6);
    b[6] = 0x70 | (seq >> 8);
    b[7] = seq & 0xff;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
}

/** This process's UUIDv7s, monotonic across all its callers. */
export const uuidv7 = createUuidv7(randomBytesFromPool);

export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
