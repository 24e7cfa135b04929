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

import { parseDeep } from './internal/deep-json.ts';
import { TAG, tagValue } from './internal/tag-tree.ts';
import { taggedJson } from './internal/tagged-json.ts';

const UNDEFINED: unique symbol = Symbol('pw-undefined');
/** Encodes any record as tagged JSON text (see the module comment for the tags). */
export function encodeValue(value: unknown): string {
  return taggedJson(value);
}

/**
 * The JSON-safe twin of a value: what `JSON.parse(encodeValue(value))` gives. Objects and arrays are copied only
 * where something inside them had to be tagged. `encodeValue` writes the same text without building the twin.
 */
export function toTagged(value: unknown): unknown {
  return tagValue(value, 0);
}

function fromCodeUnits(units: readonly number[]): string {
  let text = '';
  // In slices: String.fromCharCode takes its units as arguments, and arguments are limited in number.
  for (let i = 0; i < units.length; i += 8192) text += String.fromCharCode(...units.slice(i, i + 8192));
  return text;
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
