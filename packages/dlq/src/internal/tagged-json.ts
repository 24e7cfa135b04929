import { tagValue } from '../codec.ts';
import { MAX_DEPTH } from './deep-json.ts';

/**
 * Tagged JSON text written directly, byte for byte what `JSON.stringify(toTagged(value))` gives, without building
 * the tagged copy first: a dead-letter batch encodes thousands of records, and the copy (a new object for every
 * tagged bigint or Date and for every object holding one) costs more than the text. Plain objects, arrays,
 * well-formed strings, finite numbers, booleans, null, bigint and Date are written here; anything else (Map,
 * Set, bytes, toJSON, class instances, undefined, NaN, strings holding NUL or lone surrogates, `$pw` keys, deep
 * nesting) is handed to `toTagged` for that subtree, so both paths always agree.
 */
export function taggedJson(value: unknown): string {
  return write(value, 0) ?? 'null';
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

/** The JSON text of `value` at `depth`, or undefined where JSON has no value (a function, a symbol). */
function write(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      // Most strings hold nothing JSON escapes and no surrogate: quoted as they are, without a native call.
      if (!NEEDS_CARE.test(value)) return `"${value}"`;
      return value.isWellFormed() && !value.includes('\u0000') ? JSON.stringify(value) : fallback(value, depth);
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? String(value) : fallback(value, depth);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `{"$pw":"bigint","v":"${value.toString()}"}`;
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) return fallback(value, depth);
      if (Array.isArray(value)) return writeArray(value, depth + 1);
      if (value instanceof Date) {
        const time = value.getTime();
        return Number.isNaN(time) ? '{"$pw":"date","v":null}' : `{"$pw":"date","v":"${isoString(time)}"}`;
      }
      const proto = Object.getPrototypeOf(value);
      const plain =
        (proto === Object.prototype || proto === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
      return plain ? writeObject(value as Record<string, unknown>, depth) : fallback(value, depth);
    }
    default:
      return fallback(value, depth);
  }
}

function fallback(value: unknown, depth: number): string | undefined {
  return JSON.stringify(tagValue(value, depth));
}

function writeArray(items: readonly unknown[], depth: number): string {
  let text = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ',';
    text += write(items[i], depth) ?? 'null';
  }
  return `${text}]`;
}

function writeObject(value: Record<string, unknown>, depth: number): string | undefined {
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === '$pw' || !key.isWellFormed()) return fallback(value, depth);
  }
  let text = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = write(value[key], depth + 1);
    if (item === undefined) continue;
    text += first ? quotedKey(key) : `,${quotedKey(key)}`;
    text += item;
    first = false;
  }
  return `${text}}`;
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
