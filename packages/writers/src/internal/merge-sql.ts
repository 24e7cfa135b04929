import { InvalidOptionError } from '@pipewright/core';
import type { WriterColumn, WriterTable } from '../table.ts';
import type { StagedColumn } from './batch.ts';
import { codecFor } from './encode.ts';
import { distinct, keyJoin, stagedDistinct } from './sql.ts';

const HARD_DELETE_COLUMN = 'pw_deleted';

export interface DeleteOption {
  field: string;
  mode?: 'soft' | 'hard';
}

export type DeletePlan =
  | { mode: 'none' }
  | { mode: 'soft'; marker: WriterColumn }
  | { mode: 'hard'; column: StagedColumn };

export function deletePlan(table: WriterTable, option: DeleteOption | undefined): DeletePlan {
  if (option === undefined) return { mode: 'none' };
  const mode = option.mode ?? 'hard';
  if (typeof option.field !== 'string') throw new InvalidOptionError('delete.field', 'a field name', option.field);
  if (mode === 'soft') {
    const marker = table.column(option.field, 'delete.field');
    if (marker.type !== 'boolean') throw new InvalidOptionError('delete.field', 'a boolean column', marker.type);
    return { mode: 'soft', marker };
  }
  if (mode !== 'hard') throw new InvalidOptionError('delete.mode', "'soft' or 'hard'", mode);
  const field = option.field;
  const codec = codecFor('boolean');
  return {
    mode: 'hard',
    column: {
      name: HARD_DELETE_COLUMN,
      sql: `"${HARD_DELETE_COLUMN}"`,
      type: 'boolean',
      encode: codec?.encode ?? String,
      needsEscape: false,
      nullable: false,
      get: (row) => row[field] === true,
    },
  };
}

/**
 * The apply statement; `$STAGE` is replaced by the (quoted, generated) staging table name. The columns named in
 * `asText` are staged as jsonb's text output (see `canonicalJson`): compared as text, parsed only when written.
 */
export function applyStatement(
  table: WriterTable,
  version: WriterColumn | undefined,
  plan: DeletePlan,
  asText: ReadonlySet<string> = new Set(),
  changedRows: string = changedQuery(table, version, plan, asText),
): string {
  const t = table.sql;
  const columns = table.columns.map((c) => c.sql).join(', ');
  const selected = table.columns.map((c) => (asText.has(c.name) ? `${c.sql}::${c.type}` : c.sql)).join(', ');
  const keys = table.key.map((c) => c.sql).join(', ');
  const hard = plan.mode === 'hard';
  const changed = `changed AS ${hard ? 'MATERIALIZED' : 'NOT MATERIALIZED'} (${changedRows})`;
  const set = table.values.map((c) => `${c.sql} = EXCLUDED.${c.sql}`).join(', ');
  const conflict =
    table.values.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${set} WHERE ${distinct(table.values, 't', 'EXCLUDED')}${version === undefined ? '' : ` AND t.${version.sql} < EXCLUDED.${version.sql}`}`;
  const softDeleted = plan.mode === 'soft' ? `t.${plan.marker.sql}` : 'FALSE';
  const written = `written AS (
      INSERT INTO ${t} AS t (${columns}) SELECT ${selected} FROM changed${hard ? ` WHERE NOT ${plan.column.sql}` : ''}
      ORDER BY ${keys}
      ON CONFLICT (${keys}) ${conflict}
      RETURNING (xmax = 0) AS ins, ${softDeleted} AS del)`;
  const removed = hard
    ? `, removed AS (
      DELETE FROM ${t} t USING changed c WHERE c.${plan.column.sql} AND ${keyJoin(table, 't', 'c')}${version === undefined ? '' : ` AND t.${version.sql} < c.${version.sql}`}
      RETURNING 1)`
    : '';
  const deleted = hard ? '(SELECT count(*) FROM removed)::int' : 'count(*) FILTER (WHERE del)::int';
  return `WITH ${changed}, ${written}${removed}
    SELECT count(*) FILTER (WHERE ins AND NOT del)::int AS inserted,
           count(*) FILTER (WHERE NOT ins AND NOT del)::int AS updated,
           ${deleted} AS deleted
    FROM written`;
}

/**
 * The staged rows to write (`$STAGE` to replace): new keys, and rows whose values differ (and, with a version,
 * are newer) or that are marked for a hard delete. A read-only query, so it may run in parallel on its own.
 */
export function changedQuery(
  table: WriterTable,
  version: WriterColumn | undefined,
  plan: DeletePlan,
  asText: ReadonlySet<string>,
): string {
  const firstKey = (table.key[0] as WriterColumn).sql;
  const newer = version === undefined ? 'TRUE' : `s.${version.sql} > t.${version.sql}`;
  const changedValues = table.values.length === 0 ? 'FALSE' : stagedDistinct(table.values, asText, 's', 't');
  const hard = plan.mode === 'hard';
  const isNew = hard ? `NOT s.${plan.column.sql}` : 'TRUE';
  const isChange = hard ? `(s.${plan.column.sql} OR ${changedValues})` : changedValues;
  return `SELECT s.* FROM $STAGE s LEFT JOIN ${table.sql} t ON ${keyJoin(table, 't', 's')}
      WHERE CASE WHEN t.${firstKey} IS NULL THEN ${isNew} ELSE ${newer} AND ${isChange} END`;
}
