import { quoteIdentifier, resolveTable, type SqlClient } from '@pipewright/core';
import type { Check } from '../checks/define.ts';
import { UnsupportedCheckError } from '../errors.ts';
import { outlierBounds } from './row-predicates.ts';

/** Collects parameters and hands out their `$n` placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

function sqlValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function textList(values: readonly unknown[]): string[] {
  return values.map((v) => (v instanceof Date ? v.toISOString() : String(v)));
}

/** Renders the failing-row condition, numbering its values into `params`. */
export type FailSql = (params: Params) => string;

/**
 * A boolean SQL expression over alias `t` that is true for failing rows (the SQL twin of `rowPredicate`).
 * Outlier bounds are measured first with one aggregate query.
 */
export async function prepareFailSql(sql: SqlClient, check: Check, table: string): Promise<FailSql> {
  if (check.type === 'outliers') return outlierSql(sql, check, table);
  return (params) => failSql(check, table, params);
}

function failSql(check: Check, table: string, params: Params): string {
  switch (check.type) {
    case 'not_null':
      return `t.${quoteIdentifier(check.column)} IS NULL`;
    case 'unique': {
      const cols = check.columns.map(quoteIdentifier);
      const tuple = cols.map((c) => `t.${c}`).join(', ');
      return `(${tuple}) IN (SELECT ${cols.join(', ')} FROM ${table} GROUP BY ${cols.join(', ')} HAVING count(*) > 1)`;
    }
    case 'accepted_values': {
      const c = `t.${quoteIdentifier(check.column)}`;
      return `${c} IS NOT NULL AND NOT (${c}::text = ANY(${params.add(textList(check.values), '::text[]')}))`;
    }
    case 'relationships': {
      const c = `t.${quoteIdentifier(check.column)}`;
      if ('values' in check.to) {
        return `${c} IS NOT NULL AND NOT (${c}::text = ANY(${params.add(textList(check.to.values), '::text[]')}))`;
      }
      const parent = resolveTable(check.to.table).sql;
      return `${c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE p.${quoteIdentifier(check.to.column)} = ${c})`;
    }
    case 'range': {
      const c = `t.${quoteIdentifier(check.column)}`;
      const parts: string[] = [];
      if (check.min !== undefined)
        parts.push(`${c} ${check.minExclusive ? '<=' : '<'} ${params.add(sqlValue(check.min))}`);
      if (check.max !== undefined)
        parts.push(`${c} ${check.maxExclusive ? '>=' : '>'} ${params.add(sqlValue(check.max))}`);
      return `${c} IS NOT NULL AND (${parts.join(' OR ')})`;
    }
    case 'pattern': {
      const c = `t.${quoteIdentifier(check.column)}`;
      const op = check.pattern.flags.includes('i') ? '!~*' : '!~';
      return `${c} IS NOT NULL AND ${c}::text ${op} ${params.add(check.pattern.source, '::text')}`;
    }
    default:
      throw new UnsupportedCheckError(check.name, 'as a SQL row filter', 'it is not a row-level check in SQL');
  }
}

async function outlierSql(
  sql: SqlClient,
  check: Extract<Check, { type: 'outliers' }>,
  table: string,
): Promise<FailSql> {
  const c = quoteIdentifier(check.column);
  const stats =
    check.method === 'zscore'
      ? `SELECT avg(${c}::float8) AS mean, stddev_pop(${c}::float8) AS sd, count(${c})::float8 AS n FROM ${table}`
      : `SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY ${c}::float8) AS q1,
                  percentile_cont(0.75) WITHIN GROUP (ORDER BY ${c}::float8) AS q3, count(${c})::float8 AS n
           FROM ${table}`;
  const { rows } = await sql.query<Record<string, number | null>>(stats);
  const row = rows[0] ?? {};
  const measured = !row.n
    ? undefined
    : check.method === 'zscore'
      ? { mean: Number(row.mean), sd: Number(row.sd) }
      : { q1: Number(row.q1), q3: Number(row.q3) };
  const bounds = outlierBounds(check, measured);
  if (!bounds) return () => 'false';
  const v = `t.${c}::float8`;
  return (params) =>
    `t.${c} IS NOT NULL AND (${v} < ${params.add(bounds.low, '::float8')} OR ${v} > ${params.add(bounds.high, '::float8')})`;
}
