import { MAX_DEPTH } from './deep-json.ts';
import { tagValue } from './tag-tree.ts';

/**
 * Tagged JSON text written directly, byte for byte what `JSON.stringify(toTagged(value))` gives, without building
 * the tagged copy first: a dead-letter batch encodes thousands of records, and the copy (a new object for every
 * tagged bigint or Date and for every object holding one) costs more than the text. Plain objects, arrays,
 * well-formed strings, finite numbers, booleans, null, bigint and Date are written here; anything else (Map,
 * Set, bytes, toJSON, class instances, undefined, NaN, strings holding NUL or lone surrogates, `$pw` keys, deep
 * nesting) is handed to `toTagged` for that subtree, so both paths always agree.
 */
export function taggedJson(value: unknown): string {
  const parts: string[] = [];
  return write(value, 0, parts) ? parts.join('') : 'null';
}

/** Characters JSON.stringify escapes (quote, backslash, controls) and UTF-16 surrogates (maybe lone). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped.
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

const quotedKeys = new Map<string, string>();

/** `"key":` for a plain key; keys repeat from record to record, so each is quoted once. */
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * Appends the JSON text of `value` at `depth` to `parts`; false where JSON has no value (a function, a symbol).
 * Parts joined once give a flat string: concatenation would leave a tree of pieces that costs more to keep alive
 * (a batch's records live until the statement returns) and to flatten later.
 */
function write(value: unknown, depth: number, parts: string[]): boolean {
  switch (typeof value) {
    case 'string':
      // Most strings hold nothing JSON escapes and no surrogate: quoted as they are, without a native call.
      if (!NEEDS_CARE.test(value)) parts.push('"', value, '"');
      else if (value.isWellFormed() && !value.includes('\u0000')) parts.push(JSON.stringify(value));
      else return fallback(value, depth, parts);
      return true;
    case 'number':
      if (!Number.isFinite(value) || Object.is(value, -0)) return fallback(value, depth, parts);
      parts.push(String(value));
      return true;
    case 'boolean':
      parts.push(value ? 'true' : 'false');
      return true;
    case 'bigint':
      parts.push('{"$pw":"bigint","v":"', value.toString(), '"}');
      return true;
    case 'object': {
      if (value === null) {
        parts.push('null');
        return true;
      }
      if (depth >= MAX_DEPTH) return fallback(value, depth, parts);
      if (Array.isArray(value)) return writeArray(value, depth + 1, parts);
      if (value instanceof Date) {
        const time = value.getTime();
        parts.push(Number.isNaN(time) ? '{"$pw":"date","v":null}' : `{"$pw":"date","v":"${isoString(time)}"}`);
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      const plain =
        (proto === Object.prototype || proto === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
      return plain ? writeObject(value as Record<string, unknown>, depth, parts) : fallback(value, depth, parts);
    }
    default:
      return fallback(value, depth, parts);
  }
}

function fallback(value: unknown, depth: number, parts: string[]): boolean {
  const text = JSON.stringify(tagValue(value, depth));
  if (text === undefined) return false;
  parts.push(text);
  return true;
}

function writeArray(items: readonly unknown[], depth: number, parts: string[]): boolean {
  parts.push('[');
  for (let i = 0; i < items.length; i++) {
    if (i > 0) parts.push(',');
    if (!write(items[i], depth, parts)) parts.push('null');
  }
  parts.push(']');
  return true;
}

function writeObject(value: Record<string, unknown>, depth: number, parts: string[]): boolean {
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === '$pw' || !key.isWellFormed()) return fallback(value, depth, parts);
  }
  parts.push('{');
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const mark = parts.length;
    parts.push(first ? quotedKey(key) : `,${quotedKey(key)}`);
    if (write(value[key], depth + 1, parts)) first = false;
    else parts.length = mark; // no JSON value: the key is left out, as JSON.stringify does
  }
  parts.push('}');
  return true;
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/**
 * `new Date(time).toISOString()`, computed: V8's own formatting costs ~1 µs a Date, more than the rest of a record.
 * The civil date comes from the day number (Hinnant's `civil_from_days`); years outside 1000–9999 use the builtin.
 */
export function isoString(time: number): string {
  const day = Math.floor(time / DAY_MS);
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 1000 || year > 9999) return new Date(time).toISOString();
  const date = doy - Math.floor((153 * mp + 2) / 5) + 1;
  let rest = time - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const ms = rest - seconds * 1000;
  const msText = ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : String(ms);
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[date]}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${msText}Z`;
}
