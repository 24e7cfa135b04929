import { createHash } from 'node:crypto';
import type { WriterColumn } from './table.ts';

/** Strips a decimal text to one canonical form: no sign on zero, no leading or trailing zeros. */
function canonicalDecimal(text: string): string | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (match === null || ((match[2] ?? '') === '' && (match[3] ?? '') === '')) return undefined;
  const integer = (match[2] ?? '').replace(/^0+/, '') || '0';
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const body = fraction === '' ? integer : `${integer}.${fraction}`;
  return match[1] === '-' && body !== '0' ? `-${body}` : body;
}

/**
 * A canonical text for any JSON-like value: object keys sorted (so key order does not matter), integers the
 * same whether number, bigint or integer-looking decimal (`5`, `5n`), decimals exact (never through a float),
 * Dates as ISO instants, bytes as hex; every value tagged with its kind so `"1"` and `1` differ.
 */
export function canonicalize(value: unknown): string {
  if (value === null || value === undefined) return 'n';
  switch (typeof value) {
    case 'boolean':
      return value ? 't' : 'f';
    case 'bigint':
      return `#${value.toString()}`;
    case 'number':
      if (Number.isInteger(value)) return `#${BigInt(value).toString()}`;
      return Number.isFinite(value) ? `#${canonicalDecimal(String(value)) ?? String(value)}` : `#${value}`;
    case 'string':
      return JSON.stringify(value);
    default:
      break;
  }
  if (value instanceof Date) return `@${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()}`;
  if (value instanceof Uint8Array)
    return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
  const entries = Object.keys(value as object)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
  return `{${entries.map((key) => `${JSON.stringify(key)}:${canonicalize((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

/** Normalises a column value by its declared type before canonicalising (e.g. `'1.50'` in numeric → `1.5`). */
function typedValue(column: WriterColumn, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const type = column.type;
  if (typeof value === 'string') {
    if (/^(smallint|integer|bigint|numeric|real|double)/.test(type) && !type.endsWith('[]')) {
      const decimal = canonicalDecimal(value);
      if (decimal !== undefined) return decimal.includes('.') ? { $decimal: decimal } : BigInt(decimal);
    }
    if (type === 'timestamptz' || type === 'timestamp') {
      const time = Date.parse(value);
      if (!Number.isNaN(time) && !/\.\d{4,}/.test(value)) return new Date(time);
    }
    if (type === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return { $date: value };
  }
  if (type === 'date' && value instanceof Date && !Number.isNaN(value.getTime())) {
    return { $date: value.toISOString().slice(0, 10) };
  }
  if (typeof value === 'number' && !Number.isInteger(value) && /^(numeric|real|double)/.test(type)) {
    return { $decimal: canonicalDecimal(String(value)) ?? String(value) };
  }
  return value;
}

/** SHA-256 of a canonical encoding of `value`: the same for equal values however they were built. */
export function canonicalHash(value: unknown): Buffer {
  return createHash('sha256').update(canonicalize(value)).digest();
}

/** The row hash over the given (business key) columns: independent of the order they are listed in. */
export function rowHash(columns: readonly WriterColumn[], row: Record<string, unknown>): Buffer {
  return rowHasher(columns)(row);
}

/**
 * A hasher for many rows: the column order and name prefixes are worked out once, and each row's canonical
 * text is built directly (the same text `canonicalize` gives for the object of typed key values).
 */
export function rowHasher(columns: readonly WriterColumn[]): (row: Record<string, unknown>) => Buffer {
  const sorted = [...columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const prefixes = sorted.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column.name)}:`);
  return (row) => {
    let text = '';
    for (let i = 0; i < sorted.length; i++) {
      const column = sorted[i] as WriterColumn;
      text += prefixes[i] + canonicalize(typedValue(column, row[column.name]));
    }
    return createHash('sha256').update(`${text}}`).digest();
  };
}

/**
 * A deterministic batch id from its parts (pipeline name, source range…): the same parts always give the same
 * id, so a re-submitted batch is recognised. 32 hex characters (128 bits of SHA-256).
 */
export function batchId(...parts: readonly unknown[]): string {
  return canonicalHash(parts).toString('hex').slice(0, 32);
}
