// Where the demo's data lives: embedded PGlite by default (no server at all), or your PostgreSQL when PG_URL is set.
import { PGlite } from '@electric-sql/pglite';
import { createSqlClient, quoteIdentifier, type SqlClient } from '@pipewright/core';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';

export interface DemoDatabase {
  sql: SqlClient;
  /** `pglite` or `postgres`, for the summary. */
  kind: 'pglite' | 'postgres';
  /** The schemas the demo created (dropped by `close` on PostgreSQL, so your server is left as it was). */
  schemas: string[];
  /** Connection settings for lineage dataset names (host/port/database only, never credentials). */
  namespace: string;
  close(): Promise<void>;
}

export async function openDatabase(schemas: string[]): Promise<DemoDatabase> {
  const url = process.env.PG_URL;
  if (!url) {
    const db = await PGlite.create();
    return {
      sql: createSqlClient(db),
      kind: 'pglite',
      schemas,
      namespace: 'postgres://pglite:5432',
      close: () => db.close(),
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const sql = createSqlClient(pool, { copyStreams });
  const parsed = new URL(url);
  return {
    sql,
    kind: 'postgres',
    schemas,
    namespace: `postgres://${parsed.hostname}:${parsed.port || '5432'}`,
    async close() {
      if (!process.env.DEMO_KEEP)
        for (const schema of schemas) await sql.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await pool.end();
    },
  };
}
