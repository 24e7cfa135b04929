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
 * | a string with a lone surrogate | `{"$pw":"utf16","v":[97, 55296, 98]}`      |
 * | an object with such a key     | `{"$pw":"object","v":[[key, value], …]}`    |
 * | containers nested > 256 deep  | `{"$pw":"deep","v":"<tagged JSON text>"}`   |
 * | a reference to an ancestor    | `{"$pw":"circular"}` (decoded as `'[Circular]'`) |
 *
 * Other class instances are stored as their JSON (like `JSON.stringify`). The text is valid JSON, so it can be
 * queried in PostgreSQL (`record->>'status'`).
 */

import { deepJson, MAX_DEPTH, parseDeep } from './internal/deep-json.ts';
import { taggedJson } from './internal/tagged-json.ts';

const TAG = '$pw';
const UNDEFINED: unique symbol = Symbol('pw-undefined');
/** Encodes any record as tagged JSON text (see the module comment for the tags). */
export function encodeValue(value: unknown): string {
  return taggedJson(value);
}

/**
 * The JSON-safe twin of a value: what `JSON.parse(encodeValue(value))` gives. Objects and arrays are copied only
 * where something inside them had to be tagged, so a plain record costs one walk and no copy; `JSON.stringify`
 * of the result (one native call, even for a whole batch) is faster than any hand-written encoder.
 */
export function toTagged(value: unknown): unknown {
  return tagValue(value, 0);
}

/** `toTagged` at a nesting depth (containers passed through so far). @internal */
export function tagValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      // A lone UTF-16 surrogate becomes a `\ud800` escape that PostgreSQL's json refuses: keep the code units.
      if (!value.isWellFormed()) return { [TAG]: 'utf16', v: codeUnits(value) };
      // PostgreSQL cannot hold NUL in text, and `record->>'field'` would fail on a `\u0000` escape.
      return value.includes('\u0000') ? { [TAG]: 'nul', v: value.split('\u0000') } : value;
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { [TAG]: 'number', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'bigint':
      return { [TAG]: 'bigint', v: value.toString() };
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'object':
      if (value === null) return null;
      // Deeper than any call stack or PostgreSQL's json parser can follow (or circular): written iteratively.
      if (depth >= MAX_DEPTH) return { [TAG]: 'deep', v: deepJson(value, leafJson) };
      if (Array.isArray(value)) return tagArray(value, depth + 1);
      return tagObject(value as Record<string, unknown>, depth + 1);
    default:
      return value; // booleans; functions and symbols are dropped by JSON.stringify, as they carry no data
  }
}

const leafJson = (value: unknown): string | undefined => JSON.stringify(toTagged(value));

function tagArray(items: readonly unknown[], depth: number): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const tagged = tagValue(item, depth);
    if (tagged !== item) {
      copy ??= items.slice();
      copy[i] = tagged;
    }
  }
  return copy ?? items;
}

function tagObject(value: Record<string, unknown>, depth: number): unknown {
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || typeof value.toJSON === 'function') {
    const special = tagSpecial(value, depth);
    if (special !== NOT_SPECIAL) return special;
  }
  const keys = Object.keys(value);
  if (Object.hasOwn(value, TAG) || !keys.every((key) => key.isWellFormed())) {
    return {
      [TAG]: 'object',
      v: tagArray(
        keys.map((key) => [key, value[key]]),
        depth,
      ),
    };
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of keys) {
    const item = value[key];
    const tagged = tagValue(item, depth);
    if (tagged !== item) {
      copy ??= { ...value };
      copy[key] = tagged;
    }
  }
  return copy ?? value;
}

const NOT_SPECIAL: unique symbol = Symbol('not-special');

function codeUnits(text: string): number[] {
  const units = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return units;
}

function fromCodeUnits(units: readonly number[]): string {
  let text = '';
  // In slices: String.fromCharCode takes its units as arguments, and arguments are limited in number.
  for (let i = 0; i < units.length; i += 8192) text += String.fromCharCode(...units.slice(i, i + 8192));
  return text;
}

function tagSpecial(value: object, depth: number): unknown {
  if (value instanceof Date) {
    const time = value.getTime();
    return { [TAG]: 'date', v: Number.isNaN(time) ? null : value.toISOString() };
  }
  if (value instanceof Uint8Array) {
    const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    return { [TAG]: Buffer.isBuffer(value) ? 'buffer' : 'bytes', v: base64 };
  }
  if (value instanceof Map) return { [TAG]: 'map', v: tagArray([...value], depth) };
  if (value instanceof Set) return { [TAG]: 'set', v: tagArray([...value], depth) };
  if (value instanceof String || value instanceof Number || value instanceof Boolean)
    return tagValue(value.valueOf(), depth);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return tagValue(toJSON.call(value, ''), depth);
  // Another class instance: its own enumerable fields, like JSON.stringify (copied, so no toJSON is called).
  return NOT_SPECIAL;
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
    case 'utf16':
      return fromCodeUnits(v as number[]);
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
    case 'deep':
      return parseDeep(v as string, reviver);
    case 'circular':
      return '[Circular]';
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
