/** An order-independent checksum of a set of rows: the same rows give the same text in any order or batching. */
export interface RowChecksum {
  /** Adds one row (plain values: objects, arrays, strings, numbers, bigints, booleans, Dates, null). */
  add(row: unknown): void;
  /** Rows added so far. */
  readonly count: number;
  /** `rows:<count>:<16 hex digits>`: the count and the sums modulo 2^32 of two 32-bit hashes of each row. */
  digest(): string;
}

// Hash state of the row being added. Module-level so that hashing a row allocates nothing but the text of
// numbers and bigints: this runs once per record on the hot path of a sync.
let ha = 0;
let hb = 0;

function mix(code: number): void {
  ha = Math.imul(ha ^ code, 0x01000193);
  hb = Math.imul(hb ^ code, 0x5bd1e995);
  hb ^= hb >>> 15;
}

function mixText(text: string): void {
  mix(text.length);
  for (let i = 0; i < text.length; i++) mix(text.charCodeAt(i));
}

function fmix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function mixValue(value: unknown): void {
  if (value === null || value === undefined) {
    mix(0x6e);
    return;
  }
  switch (typeof value) {
    case 'string':
      mix(0x73);
      mixText(value);
      return;
    case 'number':
      mix(0x64);
      mixText(String(value));
      return;
    case 'bigint':
      mix(0x69);
      mixText(value.toString());
      return;
    case 'boolean':
      mix(value ? 0x74 : 0x66);
      return;
    case 'object': {
      if (value instanceof Date) {
        const ms = value.getTime();
        mix(0x44);
        if (Number.isNaN(ms)) {
          mix(0);
          return;
        }
        mix(ms % 0x100000000);
        mix(Math.floor(ms / 0x100000000));
        return;
      }
      if (Array.isArray(value)) {
        mix(0x5b);
        mix(value.length);
        for (const item of value) mixValue(item);
        mix(0x5d);
        return;
      }
      // Key order must not matter: each property is hashed on its own and the results are summed.
      const savedA = ha;
      const savedB = hb;
      let sumA = 0;
      let sumB = 0;
      const record = value as Record<string, unknown>;
      for (const key in record) {
        if (!Object.hasOwn(record, key)) continue;
        ha = 0x811c9dc5;
        hb = 0x2545f491;
        mixText(key);
        mixValue(record[key]);
        sumA = (sumA + fmix(ha)) | 0;
        sumB = (sumB + fmix(hb)) | 0;
      }
      ha = savedA;
      hb = savedB;
      mix(0x7b);
      mix(sumA);
      mix(sumB);
      return;
    }
    default:
      mix(0x3f);
      mixText(String(value));
      return;
  }
}

/**
 * Creates a checksum of what a step wrote, for `ctx.setChecksum()` and the run audit. Summing per-row hashes
 * (rather than hashing a stream) makes it independent of order and page boundaries, so a re-run or a recovery
 * that wrote the same rows reports the same checksum. It is a fast 64-bit fingerprint, not a cryptographic hash:
 * it detects accidental differences, not deliberate collisions.
 */
export function createRowChecksum(): RowChecksum {
  let sumA = 0;
  let sumB = 0;
  let count = 0;
  return {
    add(row) {
      ha = 0x811c9dc5;
      hb = 0x2545f491;
      mixValue(row);
      sumA = (sumA + fmix(ha)) | 0;
      sumB = (sumB + fmix(hb)) | 0;
      count++;
    },
    get count() {
      return count;
    },
    digest() {
      const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
      return `rows:${count}:${hex(sumB)}${hex(sumA)}`;
    },
  };
}
