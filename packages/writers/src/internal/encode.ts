import { Rejection } from './reject.ts';

/**
 * Text encoders, one per PostgreSQL type: each turns a JS value into PostgreSQL's text input form, or throws a
 * `Rejection` naming why PostgreSQL would refuse it. The same text serves COPY (after escaping) and array
 * parameters, so both paths accept exactly the same values.
 */
export type TextEncoder = (value: unknown) => string;

const INT_RANGES = {
  smallint: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
} as const;

const INTEGER_TEXT = /^[+-]?\d+$/;
const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return 'Date';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function integer(type: keyof typeof INT_RANGES): TextEncoder {
  const [min, max] = INT_RANGES[type];
  const fastLimit = type === 'bigint' ? Number.MAX_SAFE_INTEGER : Number(max);
  return (value) => {
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value <= fastLimit && value >= -fastLimit - 1) return String(value);
      throw new Rejection(`${value} is not an integer within the ${type} range`);
    }
    let big: bigint;
    if (typeof value === 'bigint') big = value;
    else if (typeof value === 'string' && INTEGER_TEXT.test(value)) big = BigInt(value);
    else throw new Rejection(`expected an integer for ${type}, got ${kind(value)}`);
    if (big < min || big > max) throw new Rejection(`${type} out of range: ${big}`);
    return big.toString();
  };
}

/** Counts the integer digits of a decimal text (without leading zeros), or returns -1 when it is not one. */
function integerDigits(text: string): number {
  let i = 0;
  const n = text.length;
  let c = text.charCodeAt(0);
  if (c === 43 || c === 45) c = text.charCodeAt(++i); // + -
  let digits = 0;
  let seen = 0;
  for (; i < n; c = text.charCodeAt(++i)) {
    if (c < 48 || c > 57) break;
    if (digits > 0 || c !== 48) digits++;
    seen++;
  }
  if (i < n && c === 46) {
    for (c = text.charCodeAt(++i); i < n; c = text.charCodeAt(++i)) {
      if (c < 48 || c > 57) break;
      seen++;
    }
  }
  if (seen === 0) return -1;
  if (i < n && (c === 101 || c === 69)) {
    const exponent = text.slice(i + 1);
    if (!/^[+-]?\d+$/.test(exponent)) return -1;
    return Math.max(0, digits + Number(exponent));
  }
  return i === n ? digits : -1;
}

function numeric(precision: number | undefined, scale: number): TextEncoder {
  const maxIntegerDigits = precision === undefined ? Number.POSITIVE_INFINITY : precision - scale;
  return (value) => {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'bigint') text = value.toString();
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else throw new Rejection(`expected a decimal string, number or bigint for numeric, got ${kind(value)}`);
    const digits = integerDigits(text);
    if (digits < 0) {
      if (precision === undefined && /^(NaN|[+-]?Infinity)$/.test(text)) return text;
      throw new Rejection(`invalid input syntax for type numeric: ${JSON.stringify(text)}`);
    }
    if (digits > maxIntegerDigits) {
      throw new Rejection(
        `numeric field overflow: ${text} needs ${digits} integer digits, numeric allows ${maxIntegerDigits}`,
      );
    }
    return text;
  };
}

function float(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return value.toString();
  throw new Rejection(`expected a number, got ${kind(value)}`);
}

function text(maxLength: number | undefined): TextEncoder {
  return (value) => {
    if (typeof value !== 'string') throw new Rejection(`expected a string, got ${kind(value)}`);
    if (value.includes('\0')) throw new Rejection('invalid byte sequence for encoding "UTF8": 0x00 (NUL in text)');
    // A lone UTF-16 surrogate has no UTF-8 form: Node would send U+FFFD and the stored text would silently differ.
    // (Cast: the source also compiles under an ES2022 lib, as the decorator fixtures check.)
    if (!(value as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw new Rejection('invalid Unicode: a lone surrogate (half of a UTF-16 pair) cannot be stored as UTF-8 text');
    }
    if (maxLength !== undefined && value.length > maxLength) {
      // Count code points, as PostgreSQL does, only when the UTF-16 length is over the limit.
      const points = [...value].length;
      if (points > maxLength) throw new Rejection(`value too long for type character varying(${maxLength})`);
    }
    return value;
  };
}

function boolean(value: unknown): string {
  if (value === true) return 't';
  if (value === false) return 'f';
  throw new Rejection(`expected a boolean, got ${kind(value)}`);
}

function timestamp(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Rejection('invalid Date (NaN time value)');
    return value.toISOString();
  }
  if (typeof value === 'string' && value.length > 0 && !value.includes('\0')) return value;
  throw new Rejection(`expected a Date or a timestamp string, got ${kind(value)}`);
}

function date(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Rejection('invalid Date (NaN time value)');
    return value.toISOString().slice(0, 10);
  }
  if (typeof value === 'string' && value.length > 0 && !value.includes('\0')) return value;
  throw new Rejection(`expected a Date or a date string, got ${kind(value)}`);
}

// JSON.rawJSON (Node 21+) is not yet in TypeScript's lib; it emits a bigint as an exact JSON number.
const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

function bigintToRaw(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? rawJSON(value.toString()) : value;
}

/** JSON.stringify's text of a value, or a `Rejection` where PostgreSQL's json input would refuse it. */
export function jsonText(value: unknown): string {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new Rejection(`expected a JSON value, got ${kind(value)}`);
  }
  let out: string;
  try {
    out = JSON.stringify(value);
  } catch {
    try {
      out = JSON.stringify(value, bigintToRaw); // bigints become JSON numbers, exactly
    } catch (error) {
      throw new Rejection(`not serialisable as JSON: ${(error as Error).message}`);
    }
  }
  if (out.includes('\\u0000'))
    throw new Rejection('unsupported Unicode escape sequence: \\u0000 cannot be stored in jsonb');
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function bytea(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Rejection(`expected a Uint8Array, got ${kind(value)}`);
  let out = '\\x';
  for (const byte of value) out += HEX[byte];
  return out;
}

function uuid(value: unknown): string {
  if (typeof value === 'string' && UUID_TEXT.test(value)) return value;
  throw new Rejection(
    `invalid input syntax for type uuid: ${typeof value === 'string' ? JSON.stringify(value) : kind(value)}`,
  );
}

const ARRAY_ELEMENT_SPECIAL = /["\\{},\s]|^NULL$/i;

/** PostgreSQL array literal of the element encoder's text, quoting where needed. */
function array(element: TextEncoder): TextEncoder {
  return (value) => {
    if (!Array.isArray(value)) throw new Rejection(`expected an array, got ${kind(value)}`);
    let out = '{';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      if (item === null || item === undefined) {
        out += 'NULL';
        continue;
      }
      const itemText = element(item);
      out +=
        itemText === '' || ARRAY_ELEMENT_SPECIAL.test(itemText) ? `"${itemText.replace(/["\\]/g, '\\$&')}"` : itemText;
    }
    return `${out}}`;
  };
}

/** Which COPY text values may hold backslashes, tabs or newlines and so need escaping. */
export interface TypeCodec {
  encode: TextEncoder;
  needsEscape: boolean;
  /** The type has an equality operator (json has none; compare as text). */
  comparable: boolean;
}

const TYPE_PATTERN =
  /^(smallint|integer|bigint|real|double precision|text|boolean|timestamptz|timestamp|date|jsonb|json|bytea|uuid|numeric(?:\((\d+)(?:,\s*(\d+))?\))?|varchar\((\d+)\))(\[\])?$/;

/** Returns the codec of a supported type, or undefined. */
export function codecFor(type: string): TypeCodec | undefined {
  const match = TYPE_PATTERN.exec(type);
  if (match === null) return undefined;
  const base = match[1] as string;
  let encode: TextEncoder;
  let needsEscape = false;
  if (base === 'smallint' || base === 'integer' || base === 'bigint') encode = integer(base);
  else if (base.startsWith('numeric')) {
    const precision = match[2] === undefined ? undefined : Number(match[2]);
    const scale = Number(match[3] ?? 0);
    if (precision !== undefined && (precision < 1 || precision > 1000 || scale > precision)) return undefined;
    encode = numeric(precision, scale);
  } else if (base === 'real' || base === 'double precision') encode = float;
  else if (base === 'text' || base.startsWith('varchar')) {
    encode = text(match[4] === undefined ? undefined : Number(match[4]));
    needsEscape = true;
  } else if (base === 'boolean') encode = boolean;
  else if (base === 'timestamptz' || base === 'timestamp') encode = timestamp;
  else if (base === 'date') encode = date;
  else if (base === 'jsonb' || base === 'json') {
    encode = jsonText;
    needsEscape = true;
  } else if (base === 'bytea') {
    encode = bytea;
    needsEscape = true;
  } else encode = uuid;
  if (match[5] !== undefined) {
    if (base === 'json' || base === 'jsonb') return undefined; // use jsonb for JSON arrays
    return { encode: array(encode), needsEscape: true, comparable: true };
  }
  return { encode, needsEscape, comparable: base !== 'json' };
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIAL_ALL = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Escapes a value for COPY text format (backslash, newline, carriage return, tab). */
export function copyEscape(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] as string) : value;
}
