import { createHmac } from 'node:crypto';
import { InvalidOptionError } from '@pipewright/core';
import { encodeValue } from './codec.ts';

export interface RedactionOptions {
  /**
   * Dotted field paths to replace before storage; `*` matches every array element or object key.
   * @example ['customer.email', 'cards.*.number']
   */
  paths: readonly string[];
  /** The HMAC key: equal values give equal hashes, but nobody without the key can test a guess. */
  key: string | Uint8Array;
}

/** Replaces a value by `hmac-sha256:<hex>` of its tagged-JSON encoding. */
export type Redactor = <T>(record: T) => T;

/**
 * Builds a function that returns a copy of a record with the configured paths replaced by a keyed hash.
 * Only the objects along a redacted path are copied; the caller's record is never modified.
 */
export function createRedactor(options: RedactionOptions): Redactor {
  if (!Array.isArray(options?.paths) || options.paths.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw new InvalidOptionError('redact.paths', 'an array of dotted field paths', options?.paths);
  }
  const key = options.key;
  if (!(typeof key === 'string' ? key.length > 0 : key instanceof Uint8Array && key.byteLength > 0)) {
    throw new InvalidOptionError('redact.key', 'a non-empty string or Uint8Array', key);
  }
  const paths = options.paths.map((path) => path.split('.'));
  const hash = (value: unknown): string =>
    `hmac-sha256:${createHmac('sha256', key).update(encodeValue(value)).digest('hex')}`;
  return <T>(record: T): T => {
    let result: unknown = record;
    for (const path of paths) result = redactPath(result, path, 0, hash);
    return result as T;
  };
}

function redactPath(value: unknown, path: readonly string[], depth: number, hash: (v: unknown) => string): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date || value instanceof Uint8Array) {
    return value;
  }
  const segment = path[depth] as string;
  const last = depth === path.length - 1;
  const keys = segment === '*' ? Object.keys(value) : Object.hasOwn(value, segment) ? [segment] : [];
  if (keys.length === 0) return value;
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
  for (const key of keys) {
    const child = copy[key];
    copy[key] = last
      ? child === undefined || child === null
        ? child
        : hash(child)
      : redactPath(child, path, depth + 1, hash);
  }
  return copy;
}
