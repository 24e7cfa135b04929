import { jsonText, type TextEncoder } from './encode.ts';

/**
 * JSON text in the form PostgreSQL's `jsonb` output gives it (`jsonb::text`): object keys ordered by UTF-8 length
 * then bytes, `": "` and `", "` separators. A merge stages jsonb values as this text and compares them with the
 * stored rows' `jsonb::text`, so unchanged rows are never parsed. It parses to the same value as `JSON.stringify`;
 * where the form cannot be matched cheaply (a class instance, a lone surrogate, a Map) it falls back to
 * `JSON.stringify`'s text, which can only make an unchanged row look changed (the write's own jsonb comparison
 * then leaves it alone), never the reverse: equal texts parse to equal values.
 */
export const canonicalJson: TextEncoder = (value) => {
  let out: string | undefined;
  try {
    out = canonical(value, '', 0);
  } catch {
    out = undefined; // a throwing toJSON or getter: let JSON.stringify report it
  }
  return out ?? jsonText(value); // jsonText refuses (a NUL, a cycle) or gives a faithful plain text
};

/** Nesting beyond this falls back (JSON.stringify reports a cycle). */
const MAX_DEPTH = 64;
const NOT_CANONICAL = undefined;
const ASCII = /^[\x20-\x7e]*$/;

// (Cast: the source also compiles under an ES2022 lib, as pipeline's decorator fixtures check.)
const wellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

const isRawJson = (JSON as unknown as { isRawJSON?: (value: unknown) => boolean }).isRawJSON;

// Objects of one batch usually share their keys: remember the last key list and its sorted, quoted form.
let lastKeys: readonly string[] = [];
let lastSorted: readonly string[] = [];
let lastQuoted: readonly string[] = [];

function byJsonbOrder(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length - y.length || Buffer.compare(x, y);
}

function sortedKeys(keys: readonly string[]): boolean {
  if (keys.length === lastKeys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== lastKeys[i]) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  for (const key of keys) if (!wellFormed(key) || key.includes('\0')) return false;
  lastKeys = keys;
  lastSorted = keys.length < 2 ? keys : [...keys].sort(byJsonbOrder);
  lastQuoted = lastSorted.map((key) => JSON.stringify(key));
  return true;
}

/** The canonical text, `undefined` for a value JSON omits, or NOT_CANONICAL (also undefined) to fall back. */
function canonical(value: unknown, key: string, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      // A NUL (\u0000, which jsonb refuses) or a lone surrogate: JSON.stringify's path reports or keeps it.
      return wellFormed(value) && !value.includes('\0') ? JSON.stringify(value) : NOT_CANONICAL;
    case 'number':
      if (!Number.isFinite(value)) return 'null';
      {
        const text = String(value);
        return text.includes('e') ? plainDecimal(text) : text;
      }
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return typeof (value as unknown as { toJSON?: unknown }).toJSON === 'function' ? NOT_CANONICAL : value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (depth > MAX_DEPTH || isRawJson?.(value) === true) return NOT_CANONICAL;
  const object = value as Record<string, unknown>;
  if (typeof object.toJSON === 'function') {
    const replaced: unknown = object.toJSON(key);
    if (typeof replaced !== 'object' || replaced === null) return canonicalScalar(replaced, key, depth);
    // JSON.stringify calls toJSON once: a result with its own toJSON is serialised as it is.
    if (typeof (replaced as { toJSON?: unknown }).toJSON === 'function') return NOT_CANONICAL;
    return canonical(replaced, key, depth + 1);
  }
  if (Array.isArray(object)) {
    let out = '[';
    for (let i = 0; i < object.length; i++) {
      const item = object[i];
      let text = 'null';
      if (item !== undefined && typeof item !== 'function' && typeof item !== 'symbol') {
        const encoded = canonical(item, String(i), depth + 1);
        if (encoded === NOT_CANONICAL) return NOT_CANONICAL;
        text = encoded;
      }
      out += i === 0 ? text : `, ${text}`;
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return NOT_CANONICAL; // Map, boxed primitives, classes
  if (!sortedKeys(Object.keys(object))) return NOT_CANONICAL;
  const keys = lastSorted;
  const quoted = lastQuoted;
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i] as string;
    const item = object[name];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    const encoded = canonical(item, name, depth + 1);
    if (encoded === NOT_CANONICAL) return NOT_CANONICAL;
    out += first ? `${quoted[i]}: ${encoded}` : `, ${quoted[i]}: ${encoded}`;
    first = false;
  }
  return `${out}}`;
}

/** `1.5e-7` as jsonb prints it (`0.00000015`): numeric keeps every digit, without an exponent. */
function plainDecimal(text: string): string {
  const negative = text.startsWith('-');
  const [mantissa = '', exponent = '0'] = (negative ? text.slice(1) : text).split('e');
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + Number(exponent);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/** A toJSON result that is not an object: JSON omits undefined, functions and symbols. */
function canonicalScalar(value: unknown, key: string, depth: number): string | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return NOT_CANONICAL;
  return canonical(value, key, depth + 1);
}
