/**
 * Tagged JSON: plain JSON, except that values JSON cannot hold become `{ "$pw": <tag>, "v": … }` objects.
 *
 * | value                         | stored as                                   |
 * | ----------------------------- | ------------------------------------------- |
 * | bigint                        | `{"$pw":"bigint","v":"123"}`                |
 * | Date (also invalid)           | `{"$pw":"date","v":"2026-…Z"}` / `"v":null` |
 * | Buffer / Uint8Array           | `{"$pw":"buffer"/"bytes","v":"<base64>"}`   |
 * | NaN, ±Infinity, -0            | `{"$pw":"number","v":"NaN"}`                |
 * | undefined (kept, not dropped) | `{"$pw":"undefined"}`                       |
 * | Map / Set                     | `{"$pw":"map"/"set","v":[…]}`               |
 * | an object with its own `$pw`  | `{"$pw":"object","v":[[key, value], …]}`    |
 * | a string holding NUL (U+0000) | `{"$pw":"nul","v":["parts", "between"]}`    |
 *
 * Other class instances are stored as their JSON (like `JSON.stringify`). The text is valid JSON, so it can be
 * queried in PostgreSQL (`record->>'status'`).
 */

const TAG = '$pw';
const UNDEFINED: unique symbol = Symbol('pw-undefined');
const OPEN = '{"$pw":';

/** Encodes any record as tagged JSON text (see the module comment for the tags). */
export function encodeValue(value: unknown): string {
  return encode(value);
}

// A hand-written walk: as fast as `JSON.stringify` with a bigint replacer, about twice as fast as a replacer that
// must inspect every value (measured on the standard record).
function encode(value: unknown): string {
  switch (typeof value) {
    case 'string':
      // PostgreSQL cannot hold NUL in text, and `record->>'field'` would fail on a `\u0000` escape.
      return value.includes('\u0000')
        ? `${OPEN}"nul","v":${JSON.stringify(value.split('\u0000'))}}`
        : JSON.stringify(value);
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return String(value);
      return `${OPEN}"number","v":"${Object.is(value, -0) ? '-0' : String(value)}"}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `${OPEN}"bigint","v":"${value}"}`;
    case 'undefined':
      return `${OPEN}"undefined"}`;
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return encodeArray(value);
      return encodeObject(value as Record<string, unknown>);
    default:
      return 'null'; // functions and symbols carry no data (JSON drops them too)
  }
}

function encodeArray(items: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ',') + encode(items[i]);
  return `${out}]`;
}

function encodeObject(value: Record<string, unknown>): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const special = encodeSpecial(value);
    if (special !== undefined) return special;
  }
  const keys = Object.keys(value);
  if (Object.hasOwn(value, TAG)) {
    return `${OPEN}"object","v":${encodeArray(keys.map((key) => [key, value[key]]))}}`;
  }
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = value[key];
    if (typeof item === 'function' || typeof item === 'symbol') continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${encode(item)}`;
    first = false;
  }
  return `${out}}`;
}

function encodeSpecial(value: object): string | undefined {
  if (value instanceof Date) {
    const time = value.getTime();
    return `${OPEN}"date","v":${Number.isNaN(time) ? 'null' : `"${value.toISOString()}"`}}`;
  }
  if (value instanceof Uint8Array) {
    const tag = Buffer.isBuffer(value) ? 'buffer' : 'bytes';
    const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    return `${OPEN}"${tag}","v":"${base64}"}`;
  }
  if (value instanceof Map) return `${OPEN}"map","v":${encodeArray([...value])}}`;
  if (value instanceof Set) return `${OPEN}"set","v":${encodeArray([...value])}}`;
  if (value instanceof String || value instanceof Number || value instanceof Boolean) return encode(value.valueOf());
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return encode(toJSON.call(value, ''));
  return undefined; // another class instance: its own enumerable fields, like JSON.stringify
}

let sawUndefined = false;

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const tag = (value as Record<string, unknown>)[TAG];
  if (typeof tag !== 'string' || Array.isArray(value)) {
    if (sawUndefined) restoreUndefined(value as Record<string, unknown>);
    return value;
  }
  const v = (value as { v?: unknown }).v;
  switch (tag) {
    case 'bigint':
      return BigInt(v as string);
    case 'number':
      return Number(v);
    case 'nul':
      return (v as string[]).join('\u0000');
    case 'undefined':
      sawUndefined = true;
      return UNDEFINED;
    case 'date':
      return new Date(v === null ? Number.NaN : (v as string));
    case 'buffer':
      return Buffer.from(v as string, 'base64');
    case 'bytes':
      return new Uint8Array(Buffer.from(v as string, 'base64'));
    case 'map':
      if (sawUndefined) for (const pair of v as unknown[][]) restoreUndefined(pair as never);
      return new Map(v as [unknown, unknown][]);
    case 'set':
      if (sawUndefined) restoreUndefined(v as never);
      return new Set(v as unknown[]);
    case 'object':
      if (sawUndefined) for (const pair of v as unknown[][]) restoreUndefined(pair as never);
      return Object.fromEntries(v as [string, unknown][]);
    default:
      return value;
  }
}

// A reviver that returns `undefined` deletes the property, so `undefined` travels as a sentinel that the
// parent object swaps back in.
function restoreUndefined(container: Record<string, unknown>): void {
  for (const key of Object.keys(container)) if (container[key] === UNDEFINED) container[key] = undefined;
}

/** Decodes text written by `encodeValue` back to the original value. */
export function decodeValue<T = unknown>(text: string): T {
  sawUndefined = false;
  try {
    const value = JSON.parse(text, reviver) as unknown;
    return (value === UNDEFINED ? undefined : value) as T;
  } finally {
    sawUndefined = false;
  }
}
