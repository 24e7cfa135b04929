import { assertIdentifier, type Migration, migrate, quoteIdentifier, type SqlClient } from '@pipewright/core';
import { type TableDefinition, toWriterTable, type WriterTable } from './table.ts';

export interface CreateTableOptions {
  /** Add this bytea column under a unique index, for `appendDedup`. @default undefined (none) */
  hashColumn?: string;
}

/**
 * The migration that creates the target table: its columns, NOT NULL where declared, the business key as
 * primary key (or, with `hashColumn`, a unique hash column instead). Use it in your own `migrate` list.
 */
export function tableMigration(target: WriterTable | TableDefinition, options: CreateTableOptions = {}): Migration {
  const table = toWriterTable(target);
  const hash = options.hashColumn === undefined ? undefined : quoteIdentifier(assertIdentifier(options.hashColumn));
  const name = quoteIdentifier(table.name);
  const columns = table.columns
    .filter((c) => c.sql !== hash)
    .map((c) => `${c.sql} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
  const constraints =
    hash === undefined
      ? [`PRIMARY KEY (${table.key.map((c) => c.sql).join(', ')})`]
      : [`${hash} bytea NOT NULL`, `UNIQUE (${hash})`];
  return {
    version: 1,
    name: `create ${table.name}`,
    sql: (schema) => `CREATE TABLE IF NOT EXISTS ${schema}.${name} (${[...columns, ...constraints].join(', ')})`,
  };
}

/**
 * Creates the target table once, idempotently and safely under concurrency (through core's `migrate`, which
 * records it as component `writers:<table>` in the schema's migrations ledger). Returns true if it created it.
 */
export async function createTable(
  sql: SqlClient,
  target: WriterTable | TableDefinition,
  options: CreateTableOptions = {},
): Promise<boolean> {
  const table = toWriterTable(target);
  let schema = table.schema;
  if (schema === undefined) {
    const { rows } = await sql.query<{ schema: string }>('SELECT current_schema() AS schema');
    schema = rows[0]?.schema ?? 'public';
  }
  const result = await migrate(sql, {
    schema,
    component: `writers:${table.name}`,
    migrations: [tableMigration(table, options)],
  });
  return result.applied.length > 0;
}
