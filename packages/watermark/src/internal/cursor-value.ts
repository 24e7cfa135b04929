/** Canonical, totally ordered text forms of cursor and key values from arbitrary records. */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

export type ValueKind = 'instant' | 'number';

/** A cursor value as canonical text plus its kind, or a reason why it cannot be compared safely. */
export type Canonical = { kind: ValueKind; text: string } | { error: string };

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Formats epoch microseconds as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (the keyset extractor's form). */
export function formatMicros(micros: bigint): string {
  const ms = Number(micros / 1000n);
  const date = new Date(ms);
  const sub = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(sub, 6)}Z`;
}

/** Parses an ISO-8601 instant with an explicit offset, keeping microseconds (a Date would keep milliseconds). */
export function parseInstant(text: string): bigint | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * (zone[0] === '-' ? -1 : 1);
  }
  const micros = BigInt(`${fraction}000000`.slice(0, 6));
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1000n + micros;
}

/** Turns a record's cursor value into canonical text: instants as UTC with microseconds, integers as digits. */
export function canonicalCursor(value: unknown): Canonical {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return { error: 'an invalid Date' };
    return { kind: 'instant', text: formatMicros(BigInt(value.getTime()) * 1000n) };
  }
  if (typeof value === 'string') {
    const micros = parseInstant(value);
    if (micros !== undefined) return { kind: 'instant', text: formatMicros(micros) };
    if (/^-?\d+$/.test(value)) return { kind: 'number', text: value.replace(/^(-?)0+(?=\d)/, '$1') };
    return { error: `${JSON.stringify(value.slice(0, 40))} is neither an ISO-8601 instant with a zone nor an integer` };
  }
  if (typeof value === 'bigint') return { kind: 'number', text: String(value) };
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { kind: 'number', text: String(value) };
  return { error: `${typeof value} ${String(value).slice(0, 40)} is not a Date, an ISO-8601 string or an integer` };
}

/** Orders integers as numbers and everything else as strings (instants in canonical form sort as text). */
export function compareText(a: string, b: string): number {
  const na = /^-?\d+$/.test(a);
  const nb = /^-?\d+$/.test(b);
  if (na && nb) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares `(cursor, ...key)` tuples. */
export function comparePositions(
  a: { cursor: string; key: readonly string[] },
  b: { cursor: string; key: readonly string[] },
): number {
  const c = compareText(a.cursor, b.cursor);
  if (c !== 0) return c;
  for (let i = 0; i < a.key.length; i++) {
    const k = compareText(a.key[i] as string, b.key[i] as string);
    if (k !== 0) return k;
  }
  return 0;
}
