import { createHash, randomFillSync } from 'node:crypto';

// Random bytes are drawn in blocks: one syscall per 256 ids instead of one per id.
const POOL_SIZE = 16 * 256;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function format(b: Uint8Array, offset = 0): string {
  const h = (i: number): string => HEX[b[offset + i] as number] as string;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}

const MAX_BACKSTEP_MS = 10_000;
let lastMs = -1;
let counter = 0;
const v7 = new Uint8Array(16);

/**
 * RFC 9562 UUIDv7: 48-bit Unix milliseconds, then a 12-bit counter that restarts at a random value each
 * millisecond (so ids made in the same millisecond still sort in creation order), then 62 random bits. If the
 * clock steps back by up to 10 s, ids continue from the last one instead, so they keep sorting in creation order.
 */
export function uuidv7At(ms: number): string {
  if (poolOffset + 16 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const rand = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  let time = Math.max(0, Math.floor(ms));
  // Small backward steps (NTP corrections) keep ids monotonic; a big jump (a reset, a fake clock) is followed.
  if (time > lastMs || lastMs - time > MAX_BACKSTEP_MS) {
    lastMs = time;
    counter = ((rand[0] as number) << 4) | ((rand[1] as number) >> 4) | 0;
    counter &= 0x7ff; // leave headroom so the counter rarely overflows within one millisecond
  } else {
    // Same (or an earlier, clock stepped back) millisecond: keep monotonic by counting on from the last id.
    time = lastMs;
    counter++;
    if (counter > 0xfff) {
      lastMs = ++time;
      counter = 0;
    }
  }
  const hi = Math.floor(time / 0x100000000);
  const lo = time >>> 0;
  v7[0] = (hi >>> 8) & 0xff;
  v7[1] = hi & 0xff;
  v7[2] = (lo >>> 24) & 0xff;
  v7[3] = (lo >>> 16) & 0xff;
  v7[4] = (lo >>> 8) & 0xff;
  v7[5] = lo & 0xff;
  v7[6] = 0x70 | ((counter >>> 8) & 0x0f);
  v7[7] = counter & 0xff;
  v7[8] = 0x80 | ((rand[8] as number) & 0x3f);
  for (let i = 9; i < 16; i++) v7[i] = rand[i] as number;
  return format(v7);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && value.length === 36 && UUID_RE.test(value);
}

export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

/** RFC 9562 UUIDv5: SHA-1 of the namespace id and the name. */
export function uuidv5Of(name: string, namespace: string): string {
  const digest = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  digest[6] = 0x50 | ((digest[6] as number) & 0x0f);
  digest[8] = 0x80 | ((digest[8] as number) & 0x3f);
  return format(digest);
}

/** A UUIDv7 whose time is `ms` and whose other bits come from a hash of `name`: same input, same id. */
export function staticUuidv7(ms: number, name: string): string {
  const digest = createHash('sha256').update(name, 'utf8').digest();
  const time = Math.max(0, Math.floor(ms));
  const hi = Math.floor(time / 0x100000000);
  const lo = time >>> 0;
  digest[0] = (hi >>> 8) & 0xff;
  digest[1] = hi & 0xff;
  digest[2] = (lo >>> 24) & 0xff;
  digest[3] = (lo >>> 16) & 0xff;
  digest[4] = (lo >>> 8) & 0xff;
  digest[5] = lo & 0xff;
  digest[6] = 0x70 | ((digest[6] as number) & 0x0f);
  digest[8] = 0x80 | ((digest[8] as number) & 0x3f);
  return format(digest);
}
