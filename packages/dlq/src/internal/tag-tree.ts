import { deepJson, MAX_DEPTH } from './deep-json.ts';

/**
 * The tagging walk behind `toTagged` (see codec.ts for the tags): a JSON-safe twin of a value, copying objects and
 * arrays only where something inside them had to be tagged.
 */

/** The key that marks a tagged value. */
export const TAG = '$pw';

/** `toTagged` at a nesting depth (containers passed through so far). */
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

const leafJson = (value: unknown): string | undefined => JSON.stringify(tagValue(value, 0));

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
