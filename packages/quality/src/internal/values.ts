/** Small helpers to describe and bound values that come from untrusted records. */

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMERIC_LIKE = /^-?\d+(\.\d+)?$/;

/** The JSON-ish type of a value, finer than `typeof` (integer, timestamp string, array…). */
export function inferType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return 'Infinity';
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'string':
      if (value.length <= 40 && ISO_LIKE.test(value)) return 'timestamp string';
      if (value.length <= 40 && NUMERIC_LIKE.test(value)) return 'numeric string';
      return 'string';
    case 'object':
      if (Array.isArray(value)) return 'array';
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'invalid date' : 'date';
      return 'object';
    default:
      return typeof value;
  }
}

const MAX_SAMPLE_CHARS = 120;

function truncate(text: string, max = MAX_SAMPLE_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

/** A JSON-safe, bounded copy of a value for reports: long strings cut, bigint and dates as strings. */
export function boundSample(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (typeof value) {
    case 'string':
      return truncate(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
      try {
        return truncate(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value));
      } catch {
        return Array.isArray(value) ? `[array of ${value.length}]` : '[object]';
      }
    }
    default:
      return truncate(String(value));
  }
}

/** A short text of a value for reasons and messages. */
export function showValue(value: unknown): string {
  const sample = boundSample(value);
  return typeof sample === 'string' ? JSON.stringify(sample) : String(sample);
}

/** Reads `record[path…]` through own properties only (never the prototype chain). */
export function readPath(record: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let current: unknown = record;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) {
      return { found: false, value: undefined };
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

/** `items.0.sku` → `items[].sku`: drift is about fields, not array positions. */
export function fieldName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const part of path) {
    if (typeof part === 'number') name += '[]';
    else name += name === '' ? String(part) : `.${String(part)}`;
  }
  // Field names come from the source: a hostile 5 MB key must not become a 5 MB report.
  return name.length > 200 ? `${name.slice(0, 200)}…` : name;
}
