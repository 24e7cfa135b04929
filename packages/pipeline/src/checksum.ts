import { createHash } from 'node:crypto';

const MASK = (1n << 64n) - 1n;

/** An order-independent checksum of a set of rows: the same rows give the same text in any order or batching. */
export interface RowChecksum {
  /** Adds one row (plain values: objects with sorted keys, arrays, strings, numbers, bigints, Dates, null). */
  add(row: unknown): void;
  /** Rows added so far. */
  readonly count: number;
  /** `rows:<count>:<16 hex digits>`: the count and the sum modulo 2^64 of each row's SHA-256 prefix. */
  digest(): string;
}

/**
 * Creates a checksum of what a step wrote, for `ctx.setChecksum()` and the run audit. Summing per-row hashes
 * (rather than hashing a stream) makes it independent of order and page boundaries, so a re-run or a recovery
 * that wrote the same rows reports the same checksum.
 */
export function createRowChecksum(): RowChecksum {
  let sum = 0n;
  let count = 0;
  return {
    add(row) {
      const hash = createHash('sha256').update(canonical(row)).digest();
      sum = (sum + hash.readBigUInt64BE(0)) & MASK;
      count++;
    },
    get count() {
      return count;
    },
    digest() {
      return `rows:${count}:${sum.toString(16).padStart(16, '0')}`;
    },
  };
}

/** JSON with sorted object keys; bigint as digits, Date as ISO text, undefined as null. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (value instanceof Date)
        return JSON.stringify(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString());
      if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
    }
    default:
      return JSON.stringify(String(value));
  }
}
