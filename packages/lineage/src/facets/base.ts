import { InvalidLineageInputError } from '../errors.ts';

/** The `producer` / `_producer` URI stamped on everything this package builds, unless you pass your own (the package version is in the `processing_engine` facet). */
export const DEFAULT_PRODUCER: string = 'https://github.com/pipewright/pipewright/tree/main/packages/lineage';

/** The OpenLineage core spec this package implements. */
export const OPENLINEAGE_SPEC_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';

/** The fields every facet carries (spec `BaseFacet`). */
export interface BaseFacet {
  /** URI of the code that produced this facet. */
  _producer: string;
  /** URL of the JSON Schema of this facet. */
  _schemaURL: string;
}

/** Dataset and job facets may be marked deleted. */
export interface DeletableFacet extends BaseFacet {
  _deleted?: boolean;
}

/** Options every facet builder accepts. */
export interface FacetOptions {
  /** URI identifying your code. @default DEFAULT_PRODUCER */
  producer?: string;
}

const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]*:[^\s]+$/i;

export function assertUri(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ABSOLUTE_URI.test(value)) {
    throw new InvalidLineageInputError(field, 'an absolute URI such as https://example.com/my-code', value);
  }
  return value;
}

export function facetUrl(version: string, name: string): string {
  return `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}`;
}

export function stamp(options: FacetOptions | undefined, schemaURL: string): BaseFacet {
  const producer = options?.producer === undefined ? DEFAULT_PRODUCER : assertUri('producer', options.producer);
  return { _producer: producer, _schemaURL: schemaURL };
}

export function assertString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new InvalidLineageInputError(field, 'a non-empty string', value);
  return value;
}

export function assertCount(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidLineageInputError(field, 'a non-negative integer', value);
  }
  return value;
}

export function toIsoTime(field: string, value: unknown): string {
  const date =
    value instanceof Date
      ? value
      : typeof value === 'string' || typeof value === 'number'
        ? new Date(value)
        : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new InvalidLineageInputError(field, 'a valid date', value);
  return date.toISOString();
}

/**
 * A facet of your own: `fields` plus `_producer` and `_schemaURL`. The schema URL must point at the JSON Schema
 * describing your fields (e.g. `https://example.com/schemas/MyFacet.json#/$defs/MyFacet`).
 */
export function customFacet<T extends object>(
  schemaURL: string,
  fields: T,
  options?: FacetOptions,
): BaseFacet & Omit<T, keyof BaseFacet> {
  assertUri('schemaURL', schemaURL);
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new InvalidLineageInputError('fields', 'a plain object', fields);
  }
  return { ...fields, ...stamp(options, schemaURL) } as BaseFacet & Omit<T, keyof BaseFacet>;
}
