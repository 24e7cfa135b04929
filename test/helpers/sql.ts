import { PGlite } from '@electric-sql/pglite';
import { createSqlClient, quoteIdentifier, type SqlClient } from '@pipewright/core';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { afterAll, beforeAll } from 'vitest';
import { PG_URL, SQL_TARGET, uniqueName } from './env.ts';

export interface TestDatabase {
  /** The adapter under test, on the target of this vitest project. */
  sql: SqlClient;
  /** This file's own schema (created before, dropped after, with everything in it). */
  schema: string;
  /** The quoted schema, ready to prefix table names in SQL text. */
  qschema: string;
  target: 'postgres' | 'pglite';
  /** The raw pg.Pool (PostgreSQL target only), for tests that need a second connection. */
  pool: pg.Pool | undefined;
  /** The raw PGlite instance (PGlite target only). */
  pglite: PGlite | undefined;
}

/**
 * Gives the calling test file its own schema on the project's SQL target. Every file runs in isolation; only
 * the schema this helper created is ever dropped.
 */
export function useTestDatabase(options: { poolSize?: number } = {}): TestDatabase {
  const db = {
    schema: uniqueName('pwt'),
    target: SQL_TARGET,
    pool: undefined,
    pglite: undefined,
  } as unknown as TestDatabase;
  db.qschema = quoteIdentifier(db.schema);

  beforeAll(async () => {
    if (SQL_TARGET === 'pglite') {
      db.pglite = await PGlite.create();
      db.sql = createSqlClient(db.pglite);
    } else {
      db.pool = new pg.Pool({
        connectionString: PG_URL,
        max: options.poolSize ?? 5,
        options: `-c search_path=${db.schema},public`,
      });
      db.sql = createSqlClient(db.pool, { copyStreams });
    }
    await db.sql.exec(`CREATE SCHEMA ${db.qschema}`);
    if (SQL_TARGET === 'pglite') await db.sql.exec(`SET search_path TO ${db.qschema}, public`);
  });

  afterAll(async () => {
    await db.sql?.exec(`DROP SCHEMA IF EXISTS ${db.qschema} CASCADE`);
    await db.pool?.end();
    await db.pglite?.close();
  });

  return db;
}
