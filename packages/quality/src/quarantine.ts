import {
  InvalidOptionError,
  migrate,
  quoteIdentifier,
  resolveTable,
  type SqlClient,
  type TableRef,
} from '@pipewright/core';
import { type Check, isRowCheck } from './checks/define.ts';
import { runChecks } from './checks/memory.ts';
import type { CheckResult, RunOptions } from './checks/result.ts';
import { UnsupportedCheckError } from './errors.ts';
import { type Row, type RowPredicate, rowPredicate } from './internal/row-predicates.ts';
import { Params, prepareFailSql } from './internal/sql-predicates.ts';

/** A row split off a batch, with why. */
export interface QuarantinedRow<T> {
  /** Position in the input batch. */
  index: number;
  record: T;
  /** One reason per failed check, e.g. `not_null(email): email is null`. */
  reasons: string[];
}

export interface SplitOptions<T> extends RunOptions {
  /** Receives the quarantined rows (a dead-letter queue, a quarantine table) before `splitBatch` resolves. */
  onQuarantine?: (rows: QuarantinedRow<T>[]) => void | Promise<void>;
}

export interface SplitResult<T> {
  good: T[];
  quarantined: QuarantinedRow<T>[];
  /** The checks' results over the whole batch (as `runChecks`). */
  results: CheckResult[];
}

function quarantineChecks(checks: readonly Check[], where: string): Check[] {
  for (const check of checks) {
    if (!isRowCheck(check)) {
      throw new UnsupportedCheckError(check.name, where, 'only row checks can quarantine rows; run it with runChecks');
    }
  }
  // `warn` checks are reported, never used to hold rows back.
  return checks.filter((c) => c.severity === 'error');
}

/**
 * Splits a batch: rows failing any `error`-severity row check go to `onQuarantine` with one reason per failed
 * check; the rest are returned as `good`. Every input row ends up in exactly one of the two.
 */
export async function splitBatch<T extends Row>(
  rows: readonly T[],
  checks: readonly Check[],
  options: SplitOptions<T> = {},
): Promise<SplitResult<T>> {
  if (!Array.isArray(rows)) throw new InvalidOptionError('rows', 'an array of rows', rows);
  if (options.onQuarantine !== undefined && typeof options.onQuarantine !== 'function') {
    throw new InvalidOptionError('onQuarantine', 'a function', options.onQuarantine);
  }
  const active = quarantineChecks(checks, 'in splitBatch');
  const results = runChecks(rows, checks, options);
  const predicates: [string, RowPredicate][] = active.map((c) => [c.name, rowPredicate(c, rows)]);
  const good: T[] = [];
  const quarantined: QuarantinedRow<T>[] = [];
  for (let index = 0; index < rows.length; index++) {
    const record = rows[index] as T;
    let reasons: string[] | undefined;
    for (const [name, predicate] of predicates) {
      const reason = predicate(record);
      if (reason === undefined) continue;
      reasons ??= [];
      reasons.push(`${name}: ${reason}`);
    }
    if (reasons) quarantined.push({ index, record, reasons });
    else good.push(record);
  }
  if (quarantined.length > 0) await options.onQuarantine?.(quarantined);
  return { good, quarantined, results };
}

export interface QuarantineTableOptions {
  /** Schema of the `pipewright_quarantine` table (created by a numbered migration). @default 'public' */
  schema?: string;
}

export interface QuarantineTableResult {
  /** Rows moved out of the table. */
  moved: number;
  /** Rows moved per check name (a row failing two checks counts for both). */
  byCheck: Record<string, number>;
}

/** Numbered migrations of the quarantine table (component `quality`). */
export const QUARANTINE_MIGRATIONS: readonly { version: number; name: string; sql: (schema: string) => string }[] = [
  {
    version: 1,
    name: 'quarantine table',
    sql: (schema) => `
      CREATE TABLE ${schema}.pipewright_quarantine (
        id bigserial PRIMARY KEY,
        source_table text NOT NULL,
        row jsonb NOT NULL,
        reasons text[] NOT NULL,
        quarantined_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX pipewright_quarantine_source_idx ON ${schema}.pipewright_quarantine (source_table, quarantined_at);`,
  },
];

/**
 * Moves the rows of `table` that fail any `error`-severity row check into `pipewright_quarantine` (the row as
 * jsonb, with the failed checks' names as reasons), in ONE statement: a row is either still in the table or in
 * quarantine, never both, never neither.
 */
export async function quarantineTable(
  sql: SqlClient,
  table: TableRef,
  checks: readonly Check[],
  options: QuarantineTableOptions = {},
): Promise<QuarantineTableResult> {
  const schema = options.schema ?? 'public';
  const target = resolveTable(table);
  const active = quarantineChecks(checks, 'in quarantineTable');
  for (const check of active) {
    if (check.type === 'custom') throw new UnsupportedCheckError(check.name, 'in SQL', 'use customSql or splitBatch');
  }
  if (active.length === 0) return { moved: 0, byCheck: {} };
  await migrate(sql, { schema, component: 'quality', migrations: QUARANTINE_MIGRATIONS });
  const renders = await Promise.all(active.map((check) => prepareFailSql(sql, check, target.sql)));
  const params = new Params();
  const where = renders.map((render) => `(${render(params)})`).join(' OR ');
  const reasons = renders.map(
    (render, i) => `CASE WHEN ${render(params)} THEN ${params.add(active[i]!.name, '::text')} END`,
  );
  const source = params.add(target.schema === undefined ? target.name : `${target.schema}.${target.name}`, '::text');
  const quarantine = `${quoteIdentifier(schema)}.pipewright_quarantine`;
  const { rows } = await sql.query<{ reason: string; n: number; moved: number }>(
    `WITH moved AS (
       DELETE FROM ${target.sql} t WHERE ${where}
       RETURNING t.*, array_remove(ARRAY[${reasons.join(', ')}], NULL) AS pw_reasons
     ), inserted AS (
       INSERT INTO ${quarantine} (source_table, row, reasons)
       SELECT ${source}, to_jsonb(moved) - 'pw_reasons', pw_reasons FROM moved
       RETURNING reasons
     )
     SELECT r AS reason, count(*)::float8 AS n, (SELECT count(*) FROM inserted)::float8 AS moved
     FROM inserted, unnest(inserted.reasons) AS r GROUP BY r`,
    params.values,
  );
  const byCheck: Record<string, number> = {};
  for (const row of rows) byCheck[row.reason] = Number(row.n);
  return { moved: Number(rows[0]?.moved ?? 0), byCheck };
}
