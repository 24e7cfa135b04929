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

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  switch (typeof raw) {
    case 'string':
      // PostgreSQL cannot hold NUL in text, and `record->>'field'` would fail on a `\u0000` escape.
      return raw.includes('\u0000') ? { [TAG]: 'nul', v: raw.split('\u0000') } : raw;
    case 'bigint':
      return { [TAG]: 'bigint', v: raw.toString() };
    case 'number':
      return Number.isFinite(raw) && !Object.is(raw, -0)
        ? raw
        : { [TAG]: 'number', v: Object.is(raw, -0) ? '-0' : String(raw) };
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'object': {
      if (raw === null) return null;
      if (raw instanceof Date) {
        const time = raw.getTime();
        return { [TAG]: 'date', v: Number.isNaN(time) ? null : raw.toISOString() };
      }
      if (raw instanceof Uint8Array) {
        const tag = Buffer.isBuffer(raw) ? 'buffer' : 'bytes';
        return { [TAG]: tag, v: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
      }
      if (raw instanceof Map) return { [TAG]: 'map', v: [...raw] };
      if (raw instanceof Set) return { [TAG]: 'set', v: [...raw] };
      if (!Array.isArray(raw) && Object.hasOwn(raw, TAG) && value === raw) {
        return { [TAG]: 'object', v: Object.entries(raw) };
      }
      return value;
    }
    default:
      return value;
  }
}

/** Encodes any record as tagged JSON text (see the module comment for the tags). */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value, replacer) as string;
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
