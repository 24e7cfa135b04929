import { quoteIdentifier, resolveTable, type SqlClient, type TableRef } from '@pipewright/core';
import { UnsupportedCheckError } from '../errors.ts';
import { type FailSql, Params, prepareFailSql } from '../internal/sql-predicates.ts';
import { boundSample } from '../internal/values.ts';
import type { Check } from './define.ts';
import { normalizeRunOptions } from './memory.ts';
import {
  type CheckResult,
  finalize,
  freshnessOutcome,
  type RawOutcome,
  type RunOptions,
  rowCountOutcome,
  volumeOutcome,
  volumeWindow,
} from './result.ts';

type Ctx = ReturnType<typeof normalizeRunOptions>;

/** Replaces `{{table}}` in custom SQL by the checked table's quoted name. */
export function expandTable(text: string, table: string): string {
  // The query becomes a subquery: a trailing semicolon would break it.
  return text
    .trim()
    .replace(/;+\s*$/, '')
    .replaceAll('{{table}}', table);
}

async function uniqueOutcome(
  sql: SqlClient,
  check: Extract<Check, { type: 'unique' }>,
  table: string,
  total: number,
  ctx: Ctx,
): Promise<RawOutcome> {
  const cols = check.columns.map(quoteIdentifier);
  const aliases = cols.map((c, i) => `${c} AS pw_k${i}`).join(', ');
  const { rows } = await sql.query<Record<string, unknown>>(
    `SELECT ${aliases}, d.pw_n, sum(d.pw_n) OVER ()::float8 AS pw_failing
     FROM (SELECT ${cols.join(', ')}, count(*)::float8 AS pw_n FROM ${table}
           WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')}
           GROUP BY ${cols.join(', ')} HAVING count(*) > 1) d
     ORDER BY d.pw_n DESC, ${cols.map((_c, i) => `pw_k${i}`).join(', ')}
     LIMIT $1`,
    [Math.max(1, ctx.sampleSize)],
  );
  const failing = Number(rows[0]?.pw_failing ?? 0);
  const sample = rows.slice(0, ctx.sampleSize).map((row) => {
    const values = check.columns.map((_c, i) => boundSample(row[`pw_k${i}`]));
    const value =
      check.columns.length === 1 ? values[0] : Object.fromEntries(check.columns.map((c, i) => [c, values[i]]));
    return { value, count: Number(row.pw_n) };
  });
  return { total, failing, sample };
}

async function sampleRows(sql: SqlClient, check: Check, table: string, render: FailSql, ctx: Ctx): Promise<unknown[]> {
  if (ctx.sampleSize === 0) return [];
  const column = 'column' in check ? check.column : undefined;
  const select = ctx.key.map((k, i) => `t.${quoteIdentifier(k)} AS pw_k${i}`);
  if (column !== undefined) select.push(`t.${quoteIdentifier(column)} AS pw_value`);
  const order = ctx.key.length > 0 ? ctx.key.map((_k, i) => `pw_k${i}`) : column ? ['pw_value'] : [];
  const params = new Params();
  const where = render(params);
  const { rows } = await sql.query<Record<string, unknown>>(
    `SELECT ${select.length > 0 ? select.join(', ') : '1 AS pw_one'} FROM ${table} t WHERE ${where}
     ${order.length > 0 ? `ORDER BY ${order.join(', ')}` : ''} LIMIT ${params.add(ctx.sampleSize)}`,
    params.values,
  );
  return rows.map((row) => {
    const entry: Record<string, unknown> = {};
    if (ctx.key.length > 0) entry.key = Object.fromEntries(ctx.key.map((k, i) => [k, boundSample(row[`pw_k${i}`])]));
    if (column !== undefined) entry.value = boundSample(row.pw_value);
    return entry;
  });
}

async function tableOutcome(sql: SqlClient, check: Check, table: string, total: number, ctx: Ctx): Promise<RawOutcome> {
  switch (check.type) {
    case 'row_count':
      return rowCountOutcome(check, total);
    case 'custom_sql': {
      const text = expandTable(check.sql, table);
      const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM (${text}) pw_q`, check.params);
      const failing = Number(rows[0]?.n ?? 0);
      let sample: unknown[] = [];
      if (failing > 0 && ctx.sampleSize > 0) {
        const limit = `$${check.params.length + 1}`;
        const found = await sql.query(`SELECT * FROM (${text}) pw_q LIMIT ${limit}`, [...check.params, ctx.sampleSize]);
        sample = found.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, boundSample(v)])));
      }
      return { total, failing, sample };
    }
    case 'freshness': {
      const c = quoteIdentifier(check.column);
      const { rows } = await sql.query<{ latest: number | null }>(
        `SELECT (extract(epoch FROM max(${c})) * 1000)::float8 AS latest FROM ${table}`,
      );
      const latest = rows[0]?.latest;
      return freshnessOutcome(
        check,
        latest === null || latest === undefined ? undefined : Number(latest),
        ctx.now(),
        total,
      );
    }
    case 'volume_anomaly': {
      const c = quoteIdentifier(check.column);
      const w = volumeWindow(ctx.now(), check.days, check.dayOffset);
      const iso = (ms: number): string => new Date(ms).toISOString();
      const { rows } = await sql.query<{ today: number; history: number }>(
        `SELECT count(*) FILTER (WHERE ${c} >= $2::timestamptz)::float8 AS today,
                count(*) FILTER (WHERE ${c} < $2::timestamptz)::float8 AS history
         FROM ${table} WHERE ${c} >= $1::timestamptz AND ${c} < $3::timestamptz`,
        [iso(w.start), iso(w.today), iso(w.end)],
      );
      return volumeOutcome(check, Number(rows[0]?.today ?? 0), Number(rows[0]?.history ?? 0), total);
    }
    default:
      throw new UnsupportedCheckError(check.name, 'here', 'not a table-level check');
  }
}

/**
 * Runs checks inside the database: row checks share one scan (`count(*) FILTER (WHERE …)` each), `unique` is
 * one `GROUP BY … HAVING`, and samples are fetched only for failing checks. Nothing but counts and the bounded
 * samples reaches Node.
 */
export async function runSqlChecks(
  sql: SqlClient,
  table: TableRef,
  checks: readonly Check[],
  options: RunOptions = {},
): Promise<CheckResult[]> {
  const ctx = normalizeRunOptions(options);
  const target = resolveTable(table).sql;
  for (const check of checks) {
    if (check.type === 'custom') {
      throw new UnsupportedCheckError(
        check.name,
        'in SQL',
        'a JavaScript predicate needs rows in memory; use customSql()',
      );
    }
  }
  const rowChecks = checks.filter((c) =>
    ['not_null', 'accepted_values', 'relationships', 'range', 'pattern', 'outliers'].includes(c.type),
  );
  const renders = new Map<Check, FailSql>();
  for (const check of rowChecks) renders.set(check, await prepareFailSql(sql, check, target));

  const params = new Params();
  const filters = rowChecks.map(
    (check, i) => `count(*) FILTER (WHERE ${renders.get(check)!(params)})::float8 AS f${i}`,
  );
  // Uniqueness is first tested in the same scan with count(DISTINCT) (a sort that stays cheap when work_mem is
  // small); the GROUP BY that finds the duplicated keys runs only when there are some.
  const uniqueChecks = checks.filter((c) => c.type === 'unique');
  uniqueChecks.forEach((check, i) => {
    const cols = check.columns.map((c) => `t.${quoteIdentifier(c)}`);
    const present = cols.map((c) => `${c} IS NOT NULL`).join(' AND ');
    const key = cols.length === 1 ? cols[0] : `(${cols.join(', ')})`;
    filters.push(
      `(count(*) FILTER (WHERE ${present}) - count(DISTINCT ${key}) FILTER (WHERE ${present}))::float8 AS u${i}`,
    );
  });
  const { rows } = await sql.query<Record<string, number>>(
    `SELECT ${['count(*)::float8 AS total', ...filters].join(', ')} FROM ${target} t`,
    params.values,
  );
  const scan = rows[0] ?? {};
  const total = Number(scan.total ?? 0);

  const results: CheckResult[] = [];
  for (const check of checks) {
    let raw: RawOutcome;
    const index = rowChecks.indexOf(check);
    if (index >= 0) {
      const failing = Number(scan[`f${index}`] ?? 0);
      const sample = failing > 0 ? await sampleRows(sql, check, target, renders.get(check)!, ctx) : [];
      raw = { total, failing, sample };
    } else if (check.type === 'unique') {
      const excess = Number(scan[`u${uniqueChecks.indexOf(check)}`] ?? 0);
      raw = excess === 0 ? { total, failing: 0, sample: [] } : await uniqueOutcome(sql, check, target, total, ctx);
    } else {
      raw = await tableOutcome(sql, check, target, total, ctx);
    }
    results.push(finalize(check, raw));
  }
  return results;
}
