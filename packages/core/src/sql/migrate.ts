import { MigrationError } from '../errors.ts';
import { assertIdentifier, quoteIdentifier } from '../identifiers.ts';
import type { SqlClient } from './types.ts';

/** One numbered schema change. `sql` receives the quoted schema name, e.g. `"etl"`. */
export interface Migration {
  version: number;
  name: string;
  sql: (schema: string) => string;
}

export interface MigrateOptions {
  /** Schema that holds the component's tables and the migrations ledger. @default 'public' */
  schema?: string;
  /** The package or feature these migrations belong to, e.g. `dlq`. */
  component: string;
  migrations: readonly Migration[];
}

export interface MigrateResult {
  applied: number[];
  current: number;
}

/** Lowest server version the SDK supports (MERGE and `pg_snapshot` functions). */
export const MIN_SERVER_VERSION_NUM = 150000;

/**
 * Applies pending migrations in order, each in its own transaction that records itself in the ledger first, so
 * two processes migrating at once collide harmlessly: one waits on the advisory lock, then finds nothing to do.
 */
export async function migrate(sql: SqlClient, options: MigrateOptions): Promise<MigrateResult> {
  const schemaName = assertIdentifier(options.schema ?? 'public');
  const schema = quoteIdentifier(schemaName);
  const sorted = [...options.migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(
        `Migrations of "${options.component}" must be numbered 1, 2, 3…; found version ${migration.version} at position ${index + 1}`,
      );
    }
  });
  await assertServerVersion(sql);
  const applied: number[] = [];
  let current = 0;
  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pipewright:migrate:${schemaName}`]);
    await tx.exec(
      `CREATE SCHEMA IF NOT EXISTS ${schema};
       CREATE TABLE IF NOT EXISTS ${schema}.pipewright_migrations (
         component text NOT NULL,
         version integer NOT NULL,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (component, version)
       );`,
    );
    const { rows } = await tx.query<{ version: number }>(
      `SELECT coalesce(max(version), 0)::int AS version FROM ${schema}.pipewright_migrations WHERE component = $1`,
      [options.component],
    );
    current = rows[0]?.version ?? 0;
    if (current > sorted.length) {
      throw new MigrationError(
        `Database has "${options.component}" migration ${current}, but this version of the package knows only ${sorted.length}: upgrade the package`,
      );
    }
    for (const migration of sorted.slice(current)) {
      await tx.transaction(async (step) => {
        await step.query(`INSERT INTO ${schema}.pipewright_migrations (component, version, name) VALUES ($1, $2, $3)`, [
          options.component,
          migration.version,
          migration.name,
        ]);
        try {
          await step.exec(migration.sql(schema));
        } catch (error) {
          throw new MigrationError(
            `Migration ${options.component} #${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
            { cause: error },
          );
        }
      });
      applied.push(migration.version);
      current = migration.version;
    }
  });
  return { applied, current };
}

/** Throws a `MigrationError` naming the version when the server is older than PostgreSQL 15. */
export async function assertServerVersion(sql: SqlClient): Promise<number> {
  const { rows } = await sql.query<{ server_version_num: string }>('SHOW server_version_num');
  const version = Number(rows[0]?.server_version_num);
  if (!(version >= MIN_SERVER_VERSION_NUM)) {
    throw new MigrationError(`PostgreSQL ${version} is not supported: Pipewright needs PostgreSQL 15 or newer`);
  }
  return version;
}
