import { InvalidOptionError, quoteIdentifier, resolveTable, type TableRef } from '@pipewright/core';
import { TableSpecError } from './errors.ts';
import { codecFor, type TypeCodec } from './internal/encode.ts';

/**
 * A column of the target table. `type` is one of: `smallint`, `integer`, `bigint`, `numeric`, `numeric(p,s)`,
 * `real`, `double precision`, `text`, `varchar(n)`, `boolean`, `timestamptz`, `timestamp`, `date`, `jsonb`,
 * `json`, `bytea`, `uuid`, or any of them (but json/jsonb) followed by `[]`.
 */
export interface ColumnSpec {
  name: string;
  type: string;
  /** @default false for key columns, true otherwise */
  nullable?: boolean;
}

export interface TableDefinition {
  /** `'orders'`, `'etl.orders'` or `{ schema, name }`. */
  table: TableRef;
  /** Columns in order, or a map from name to type (or to `{ type, nullable }`). */
  columns: readonly ColumnSpec[] | Readonly<Record<string, string | Omit<ColumnSpec, 'name'>>>;
  /** The business key: one column or several. Never null. */
  key: string | readonly string[];
}

export interface WriterColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  /** The quoted identifier, e.g. `"amount"`. */
  readonly sql: string;
  readonly codec: TypeCodec;
}

/** A validated target table: every identifier checked and quoted by core, every type known. */
export interface WriterTable {
  readonly schema: string | undefined;
  readonly name: string;
  /** The quoted (possibly schema-qualified) table name. */
  readonly sql: string;
  readonly columns: readonly WriterColumn[];
  readonly key: readonly WriterColumn[];
  /** Columns that are not part of the key. */
  readonly values: readonly WriterColumn[];
  /** Finds a column by name or throws an `InvalidOptionError` naming `option`. */
  column(name: string, option: string): WriterColumn;
  /** A JSON-serialisable form, accepted back by `defineTable`. */
  toJSON(): { table: { schema?: string; name: string }; columns: ColumnSpec[]; key: string[] };
}

/** Validates a table definition once, so every strategy can build SQL from trusted parts. */
export function defineTable(definition: TableDefinition): WriterTable {
  if (definition === null || typeof definition !== 'object') {
    throw new InvalidOptionError('table definition', 'an object with table, columns and key', definition);
  }
  const ref = resolveTable(definition.table);
  const keyNames = typeof definition.key === 'string' ? [definition.key] : [...(definition.key ?? [])];
  if (keyNames.length === 0) throw new InvalidOptionError('key', 'a column name or a non-empty list', definition.key);
  const specs: ColumnSpec[] = Array.isArray(definition.columns)
    ? (definition.columns as ColumnSpec[])
    : Object.entries(definition.columns ?? {}).map(([name, spec]) =>
        typeof spec === 'string' ? { name, type: spec } : { name, ...spec },
      );
  if (specs.length === 0) throw new InvalidOptionError('columns', 'at least one column', definition.columns);
  const seen = new Set<string>();
  const columns: WriterColumn[] = specs.map((spec) => {
    const sql = quoteIdentifier(spec.name);
    if (seen.has(spec.name)) throw new TableSpecError(`Column ${JSON.stringify(spec.name)} is defined twice`);
    seen.add(spec.name);
    const type = typeof spec.type === 'string' ? spec.type.trim().toLowerCase().replace(/\s+/g, ' ') : '';
    const codec = codecFor(type);
    if (codec === undefined) {
      throw new TableSpecError(
        `Column ${JSON.stringify(spec.name)} has unsupported type ${JSON.stringify(spec.type)}: expected smallint, integer, bigint, numeric[(p,s)], real, double precision, text, varchar(n), boolean, timestamptz, timestamp, date, jsonb, json, bytea, uuid, or an array of them`,
      );
    }
    const isKey = keyNames.includes(spec.name);
    return Object.freeze({ name: spec.name, type, nullable: isKey ? false : (spec.nullable ?? true), sql, codec });
  });
  const byName = new Map(columns.map((c) => [c.name, c]));
  const key = keyNames.map((name) => {
    const column = byName.get(name);
    if (column === undefined) throw new TableSpecError(`Key column ${JSON.stringify(name)} is not among the columns`);
    if (column.type === 'json') throw new TableSpecError(`Key column ${JSON.stringify(name)} cannot be json`);
    return column;
  });
  const values = columns.filter((c) => !keyNames.includes(c.name));
  const table: WriterTable = {
    schema: ref.schema,
    name: ref.name,
    sql: ref.sql,
    columns,
    key,
    values,
    column(name, option) {
      const found = byName.get(name);
      if (found === undefined)
        throw new InvalidOptionError(option, `one of the columns ${[...byName.keys()].join(', ')}`, name);
      return found;
    },
    toJSON() {
      return {
        table: ref.schema === undefined ? { name: ref.name } : { schema: ref.schema, name: ref.name },
        columns: columns.map(({ name, type, nullable }) => ({ name, type, nullable })),
        key: [...keyNames],
      };
    },
  };
  return Object.freeze(table);
}

/** Accepts a `WriterTable` or a definition to validate. */
export function toWriterTable(table: WriterTable | TableDefinition): WriterTable {
  return 'toJSON' in table && 'values' in table ? (table as WriterTable) : defineTable(table as TableDefinition);
}
