import { InvalidOptionError, type TableRef } from '@pipewright/core';
import { TableSpecError } from './errors.ts';
import { type ColumnSpec, defineTable, type WriterTable } from './table.ts';

/** The structural part of a zod 4 schema we read (so zod stays an optional peer, never imported). */
interface ZodLike {
  _zod: { def: Record<string, unknown> & { type: string }; bag?: Record<string, unknown> };
  format?: unknown;
}

export interface FromZodOptions {
  table: TableRef;
  key: string | readonly string[];
  /**
   * PostgreSQL types that override the mapping, e.g. `{ amount: 'numeric(18,2)' }` for a decimal string.
   * @default {}
   */
  types?: Readonly<Record<string, string>>;
}

function isZod(value: unknown): value is ZodLike {
  return typeof value === 'object' && value !== null && typeof (value as ZodLike)._zod?.def?.type === 'string';
}

function formatOf(schema: ZodLike): unknown {
  const def = schema._zod.def;
  if (def.format !== undefined) return def.format;
  if (schema._zod.bag?.format !== undefined) return schema._zod.bag.format;
  return schema.format;
}

/** Maps one zod field to a PostgreSQL type and nullability. */
function mapField(name: string, schema: ZodLike): { type: string; nullable: boolean } {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'nullish':
      return { ...mapField(name, def.innerType as ZodLike), nullable: true };
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return mapField(name, def.innerType as ZodLike);
    case 'pipe': {
      // A transform's output type is unknown to zod; assume it keeps the input's type (override with `types`).
      const out = def.out as ZodLike;
      return mapField(name, out._zod.def.type === 'transform' ? (def.in as ZodLike) : out);
    }
    case 'string': {
      const format = formatOf(schema);
      if (format === 'uuid' || format === 'guid') return { type: 'uuid', nullable: false };
      if (format === 'datetime') return { type: 'timestamptz', nullable: false };
      if (format === 'date') return { type: 'date', nullable: false };
      return { type: 'text', nullable: false };
    }
    case 'enum':
    case 'literal':
      return { type: 'text', nullable: false };
    case 'number':
      return { type: formatOf(schema) === 'safeint' ? 'bigint' : 'double precision', nullable: false };
    case 'bigint':
      return { type: 'bigint', nullable: false };
    case 'boolean':
      return { type: 'boolean', nullable: false };
    case 'date':
      return { type: 'timestamptz', nullable: false };
    case 'object':
    case 'record':
    case 'any':
    case 'unknown':
    case 'union':
      return { type: 'jsonb', nullable: false };
    case 'array': {
      const element = mapField(name, def.element as ZodLike);
      if (element.type === 'jsonb' || element.type.endsWith('[]')) return { type: 'jsonb', nullable: false };
      return { type: `${element.type}[]`, nullable: false };
    }
    default:
      throw new TableSpecError(
        `Field ${JSON.stringify(name)} has zod type "${def.type}", which has no PostgreSQL mapping: pass it in \`types\``,
      );
  }
}

/**
 * Builds a `WriterTable` from a zod object schema: string → text (uuid, ISO date-time and date formats map to
 * uuid, timestamptz, date), int → bigint, number → double precision, bigint → bigint, boolean, date →
 * timestamptz, objects/records → jsonb, arrays of scalars → arrays; optional/nullable → nullable.
 */
export function tableFromZod(schema: unknown, options: FromZodOptions): WriterTable {
  if (!isZod(schema) || schema._zod.def.type !== 'object') {
    throw new InvalidOptionError('schema', 'a zod object schema (z.object({...}))', schema);
  }
  const shape = schema._zod.def.shape as Record<string, unknown>;
  const overrides = options.types ?? {};
  const columns: ColumnSpec[] = Object.entries(shape).map(([name, field]) => {
    if (!isZod(field)) throw new TableSpecError(`Field ${JSON.stringify(name)} is not a zod schema`);
    const mapped = mapField(name, field);
    return { name, type: overrides[name] ?? mapped.type, nullable: mapped.nullable };
  });
  for (const name of Object.keys(overrides)) {
    if (!(name in shape)) throw new InvalidOptionError(`types.${name}`, 'a field of the schema', name);
  }
  return defineTable({ table: options.table, columns, key: options.key });
}
