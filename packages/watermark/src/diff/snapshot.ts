import { assertIdentifier, InvalidOptionError, quoteIdentifier, resolveTable, type SqlClient } from '@pipewright/core';
import { UncommittedPageError } from '../errors.ts';
import type { KeysetSource } from '../keyset/types.ts';

export interface SnapshotDiffOptions {
  source: KeysetSource;
  /** Unique key column(s). */
  key: string | readonly string[];
  /** Name of this diff's stored signatures. */
  job: string;
  /** Schema of the watermark tables (run `pgStateStore(…).migrate()` first). @default 'public' */
  schema?: string;
  /** Columns that make up a row's signature. @default every column */
  columns?: readonly string[];
  /** Changes per page (and per fetch from the server-side cursor). @default 5000 */
  pageSize?: number;
}

/** One difference between the source and the stored signatures. `row` is the row as JSON (absent for deletes). */
export interface SnapshotChange<Row> {
  op: 'insert' | 'update' | 'delete';
  /** The key as a JSON array text, e.g. `[42]`. */
  key: string;
  row: Row | undefined;
}

export interface SnapshotPage<Row> {
  readonly changes: SnapshotChange<Row>[];
  readonly index: number;
  /** Stores the new signatures of this page (inside `tx` when given): call it after applying the changes. */
  commit(tx?: SqlClient): Promise<void>;
}

interface DiffRow {
  op: 'insert' | 'update' | 'delete';
  row_key: string;
  signature: string | null;
  row: unknown;
}

/**
 * Compares a PostgreSQL source with the signatures stored by the previous run and yields inserts, updates and
 * deletes. Signatures (md5 of the row's text) are computed and joined in SQL and read through a server-side cursor,
 * so memory holds one page however large the table. Needs a pool with at least two connections: the cursor keeps
 * one while you write.
 */
export async function* snapshotDiff<R = Record<string, unknown>>(
  sql: SqlClient,
  options: SnapshotDiffOptions,
): AsyncGenerator<SnapshotPage<R>> {
  const keys = typeof options.key === 'string' ? [options.key] : options.key;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new InvalidOptionError('key', 'a column name or names', options.key);
  if (typeof options.job !== 'string' || options.job.length === 0) {
    throw new InvalidOptionError('job', 'a non-empty string', options.job);
  }
  const pageSize = options.pageSize ?? 5000;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new InvalidOptionError('pageSize', 'a positive integer', pageSize);
  const schema = quoteIdentifier(assertIdentifier(options.schema ?? 'public'));
  const signatures = `${schema}.pipewright_watermark_signatures`;
  let from: string;
  let params: unknown[];
  if ('table' in options.source) {
    from = `${resolveTable(options.source.table).sql} AS q`;
    params = [];
  } else if (typeof options.source?.query === 'string') {
    from = `(${options.source.query}) AS q`;
    params = [...(options.source.params ?? [])];
  } else {
    throw new InvalidOptionError('source', '{ table } or { query, params? }', options.source);
  }
  const keyText = `jsonb_build_array(${keys.map((k) => `q.${quoteIdentifier(k)}`).join(', ')})::text`;
  const signed = options.columns
    ? `jsonb_build_array(${options.columns.map((c) => `q.${quoteIdentifier(c)}`).join(', ')})::text`
    : 'q::text';
  params.push(options.job);
  const job = `$${params.length}`;
  const text = `
    WITH cur AS (SELECT ${keyText} AS row_key, md5(${signed}) AS signature, to_jsonb(q) AS row FROM ${from}),
         old AS (SELECT row_key, signature FROM ${signatures} WHERE job = ${job})
    SELECT CASE WHEN old.row_key IS NULL THEN 'insert' WHEN cur.row_key IS NULL THEN 'delete' ELSE 'update' END AS op,
           coalesce(cur.row_key, old.row_key) AS row_key, cur.signature, cur.row
    FROM cur FULL JOIN old ON old.row_key = cur.row_key
    WHERE cur.signature IS DISTINCT FROM old.signature`;

  let index = 0;
  let pending: { done: boolean } | undefined;
  for await (const batch of sql.stream<DiffRow>(text, params, { batchSize: pageSize })) {
    if (pending && !pending.done) throw new UncommittedPageError(options.job);
    const changes = batch.map((r) => ({ op: r.op, key: r.row_key, row: (r.row ?? undefined) as R | undefined }));
    const page = {
      changes,
      index: index++,
      done: false,
      async commit(tx?: SqlClient): Promise<void> {
        if (page.done) return;
        const client = tx ?? sql;
        const upserts = batch.filter((r) => r.op !== 'delete');
        const deletes = batch.filter((r) => r.op === 'delete').map((r) => r.row_key);
        if (upserts.length > 0) {
          await client.query(
            `INSERT INTO ${signatures} (job, row_key, signature) SELECT $1, k, s FROM unnest($2::text[], $3::text[]) AS u(k, s)
             ON CONFLICT (job, row_key) DO UPDATE SET signature = EXCLUDED.signature`,
            [options.job, upserts.map((r) => r.row_key), upserts.map((r) => r.signature)],
          );
        }
        if (deletes.length > 0) {
          await client.query(`DELETE FROM ${signatures} WHERE job = $1 AND row_key = ANY($2::text[])`, [
            options.job,
            deletes,
          ]);
        }
        page.done = true;
      },
    };
    pending = page;
    yield page;
  }
  if (pending && !pending.done) throw new UncommittedPageError(options.job);
}
