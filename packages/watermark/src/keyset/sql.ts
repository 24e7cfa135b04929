import { InvalidOptionError, quoteIdentifier, resolveTable, type TableRef } from '@pipewright/core';
import { CursorTypeError } from '../errors.ts';
import type { KeysetPosition, KeysetSource } from './types.ts';

export type CursorKind = 'instant' | 'local' | 'date' | 'integer';

const CURSOR_KINDS: Record<string, CursorKind> = {
  'timestamp with time zone': 'instant',
  'timestamp without time zone': 'local',
  date: 'date',
  smallint: 'integer',
  integer: 'integer',
  bigint: 'integer',
};

// A type name as printed by pg_typeof (regtype output): words, quoted identifiers, dots, brackets, modifiers.
const TYPE_NAME = /^[\p{L}\p{N}_ ."[\](),]+$/u;

const UTC_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** The largest bigint: a LIMIT that never applies (see `page`). */
const NO_LIMIT = '9223372036854775807';

/** Builds every statement of one keyset extraction; user parameters keep `$1…$n`, ours follow. */
export class KeysetSql {
  readonly from: string;
  readonly userParams: readonly unknown[];
  /** The table of a `{ table }` source. */
  readonly table: TableRef | undefined;
  readonly cursorColumn: string;
  readonly keyColumns: readonly string[];
  kind: CursorKind = 'instant';
  /** A backfill window `[start, end)` on the cursor, in the position's text form. */
  window: { start: string; end: string } | undefined;
  #cursorType = '';
  #keyTypes: string[] = [];
  #timeZone: string | undefined;

  constructor(source: KeysetSource, cursor: string, key: readonly string[]) {
    if ('table' in source) {
      this.table = source.table;
      this.from = `${resolveTable(source.table).sql} AS q`;
      this.userParams = [];
    } else if (typeof source?.query === 'string' && source.query.trim().length > 0) {
      this.table = undefined;
      this.from = `(${source.query}) AS q`;
      this.userParams = source.params ?? [];
    } else {
      throw new InvalidOptionError('source', '{ table } or { query, params? }', source);
    }
    this.cursorColumn = `q.${quoteIdentifier(cursor)}`;
    this.keyColumns = key.map((column) => `q.${quoteIdentifier(column)}`);
  }

  /** One row's column types, or nothing when the source is empty. */
  probe(): string {
    const keys = this.keyColumns.map((column, i) => `, pg_typeof(${column})::text AS k${i}`).join('');
    return `SELECT pg_typeof(${this.cursorColumn})::text AS c${keys} FROM ${this.from} LIMIT 1`;
  }

  /** Records the probed types; refuses cursors that cannot be compared as instants or numbers. */
  setTypes(cursorName: string, cursorType: string, keyTypes: string[], timeZone: string | undefined): void {
    const kind = CURSOR_KINDS[cursorType];
    if (kind === undefined) {
      throw new CursorTypeError(cursorName, cursorType, 'expected timestamptz, date, smallint, integer or bigint');
    }
    if (kind === 'local' && timeZone === undefined) {
      throw new CursorTypeError(
        cursorName,
        cursorType,
        'its values have no zone, so they cannot be compared as instants; pass `timeZone` (e.g. "UTC") naming the zone they were written in',
      );
    }
    for (const type of keyTypes) {
      if (!TYPE_NAME.test(type)) throw new InvalidOptionError('key', 'columns of a plain type', type);
    }
    this.kind = kind;
    this.#cursorType = cursorType;
    this.#keyTypes = keyTypes;
    this.#timeZone = timeZone;
  }

  /**
   * The upper bound, and in the same statement what to wait for: the transactions holding a write lock on the
   * `waitTables` (their virtual transaction ids), or — without tables — a transaction-id fence over the whole
   * cluster (`pg_current_xact_id()`).
   */
  bound(
    lagMs: number,
    wait: 'tables' | 'fence' | 'none',
    waitTables: readonly string[],
  ): { text: string; params: unknown[] } {
    const params: unknown[] = this.kind === 'integer' ? [...this.userParams] : [];
    let waitFor = 'NULL::text AS fence, NULL::text[] AS writers';
    if (wait === 'fence') waitFor = 'pg_current_xact_id()::text AS fence, NULL::text[] AS writers';
    if (wait === 'tables') {
      params.push(waitTables);
      // Every writer holds RowExclusiveLock (or stronger) on the table until it ends.
      waitFor = `NULL::text AS fence, ARRAY(SELECT DISTINCT virtualtransaction FROM pg_locks
        WHERE locktype = 'relation' AND granted AND pid <> pg_backend_pid()
          AND relation = ANY(SELECT unnest($${params.length}::text[])::regclass::oid)
          AND mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')) AS writers`;
    }
    if (this.kind === 'integer') {
      return { text: `SELECT max(${this.cursorColumn})::text AS hi, ${waitFor} FROM ${this.from}`, params };
    }
    params.push(lagMs / 1000);
    const at = `(now() - make_interval(secs => $${params.length}::float8))`;
    // A date cursor is read up to the last complete UTC day: rows of today may still arrive.
    const hi =
      this.kind === 'date'
        ? `to_char((${at} AT TIME ZONE 'UTC')::date - 1, 'YYYY-MM-DD')`
        : `to_char(${at} AT TIME ZONE 'UTC', ${UTC_FORMAT})`;
    return { text: `SELECT ${hi} AS hi, ${waitFor}`, params };
  }

  /** Whether the whole backfill window lies at or below the upper bound (nothing can still arrive in it). */
  windowClosed(hi: string): { text: string; params: unknown[] } {
    const end = (this.window as { end: string }).end;
    if (this.kind === 'date')
      return { text: 'SELECT CAST($1 AS date) <= CAST($2 AS date) + 1 AS closed', params: [end, hi] };
    if (this.kind === 'integer') {
      return { text: 'SELECT CAST($1 AS numeric) <= CAST($2 AS numeric) + 1 AS closed', params: [end, hi] };
    }
    return { text: 'SELECT CAST($1 AS timestamptz) <= CAST($2 AS timestamptz) AS closed', params: [end, hi] };
  }

  /** Finds the position that ends the next page: the page-size-th row, or the last row up to the bound. */
  boundary(
    after: KeysetPosition | undefined,
    hi: string,
    pageSize: number,
    lastRow: boolean,
  ): { text: string; params: unknown[] } {
    const params = [...this.userParams];
    const cursorText = this.#cursorText(params, 'b.c');
    const where = this.#range(params, after, hi);
    const inner = this.keyColumns.map((column, i) => `, ${column} AS k${i}`).join('');
    const keys = this.keyColumns.map((_, i) => `, b.k${i}::text AS k${i}`).join('');
    const order = lastRow ? this.#order(' DESC') : this.#order('');
    const offset = lastRow ? '' : ` OFFSET ${pageSize - 1}`;
    // Format only the one row found: formatting in the scan would run for every skipped row (50x slower).
    return {
      text: `SELECT ${cursorText} AS c${keys} FROM (SELECT ${this.cursorColumn} AS c${inner} FROM ${this.from}
        WHERE ${where} ORDER BY ${order} LIMIT 1${offset}) AS b`,
      params,
    };
  }

  /**
   * The rows after `after` up to and including `until`, in keyset order. The plain bounds on the cursor column
   * repeat what the row comparisons imply: PostgreSQL estimates a row comparison as a third of the table and then
   * scans all of it for every page (parallel seq scan), while the plain range is estimated as the page it is.
   * Even so the row comparisons make it under-estimate the page, and it picks a bitmap scan plus a sort (1.5x the
   * server time of reading the index in order, docs/performance.md). A LIMIT it cannot see through (an init plan)
   * makes it plan for reading only part of the range, so it reads the index in order; the limit itself never cuts
   * the page short.
   */
  page(after: KeysetPosition | undefined, until: KeysetPosition): { text: string; params: unknown[] } {
    const params = [...this.userParams];
    const lower =
      after === undefined
        ? this.#windowStart(params)
        : `${this.cursorColumn} >= ${this.#pushCursor(params, after.cursor)} AND ${this.#tuple()} > ${this.#values(params, after)}`;
    const upper = `${this.cursorColumn} <= ${this.#pushCursor(params, until.cursor)} AND ${this.#tuple()} <= ${this.#values(params, until)}`;
    return {
      text: `SELECT q.* FROM ${this.from} WHERE ${lower} AND ${upper} ORDER BY ${this.#order('')} LIMIT (SELECT ${NO_LIMIT})`,
      params,
    };
  }

  #range(params: unknown[], after: KeysetPosition | undefined, hi: string): string {
    let upper = `${this.cursorColumn} <= ${this.#pushCursor(params, hi)}`;
    if (this.window) upper += ` AND ${this.cursorColumn} < ${this.#pushCursor(params, this.window.end)}`;
    const lower = after === undefined ? this.#windowStart(params) : `${this.#tuple()} > ${this.#values(params, after)}`;
    return `${lower} AND ${upper}`;
  }

  // A backfill window starts at its inclusive lower bound; a plain run starts at the beginning.
  #windowStart(params: unknown[]): string {
    return this.window ? `${this.cursorColumn} >= ${this.#pushCursor(params, this.window.start)}` : 'true';
  }

  #tuple(): string {
    return `(${this.cursorColumn}, ${this.keyColumns.join(', ')})`;
  }

  #values(params: unknown[], position: KeysetPosition): string {
    const parts = [this.#pushCursor(params, position.cursor)];
    position.key.forEach((value, i) => {
      params.push(value);
      parts.push(`CAST($${params.length} AS ${this.#keyTypes[i]})`);
    });
    return `(${parts.join(', ')})`;
  }

  #pushCursor(params: unknown[], value: string): string {
    params.push(value);
    const index = params.length;
    if (this.kind === 'local') params.push(this.#timeZone);
    return this.#cursorValue(index);
  }

  #cursorValue(index: number): string {
    if (this.kind === 'instant') return `CAST($${index} AS timestamptz)`;
    if (this.kind === 'local') return `(CAST($${index} AS timestamptz) AT TIME ZONE $${index + 1}::text)`;
    return `CAST($${index} AS ${this.#cursorType})`;
  }

  #cursorText(params: unknown[], c: string): string {
    if (this.kind === 'instant') return `to_char(${c} AT TIME ZONE 'UTC', ${UTC_FORMAT})`;
    if (this.kind === 'local') {
      params.push(this.#timeZone);
      return `to_char((${c} AT TIME ZONE $${params.length}::text) AT TIME ZONE 'UTC', ${UTC_FORMAT})`;
    }
    if (this.kind === 'date') return `to_char(${c}, 'YYYY-MM-DD')`;
    return `${c}::text`;
  }

  #order(direction: string): string {
    return [this.cursorColumn, ...this.keyColumns].map((column) => `${column}${direction}`).join(', ');
  }
}
