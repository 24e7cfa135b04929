import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { merge } from './merge.ts';
import { defineTable } from './table.ts';

// merge stages through binary COPY on PostgreSQL (array parameters on PGlite): the stored rows must be exactly
// what PostgreSQL makes of the text form, and every difference must still be noticed.
const db = useTestDatabase();

const COLUMNS = {
  id: 'bigint',
  s: 'smallint',
  i: 'integer',
  n: 'numeric',
  n3: 'numeric(12,3)',
  d: 'double precision',
  t: 'text',
  v: 'varchar(10)',
  b: 'boolean',
  ts: 'timestamptz',
  tl: 'timestamp',
  dt: 'date',
  j: 'jsonb',
  js: 'json',
  u: 'uuid',
  by: 'bytea',
} as const;

async function typesTable(name: string) {
  const list = Object.entries(COLUMNS)
    .map(([column, type]) => `${column} ${type}${column === 'id' ? ' PRIMARY KEY' : ''}`)
    .join(', ');
  await db.sql.exec(`CREATE TABLE ${db.qschema}.${name} (${list})`);
  return defineTable({ table: { schema: db.schema, name }, columns: COLUMNS, key: 'id' });
}

type Row = Record<string, unknown>;
const base = (id: number | bigint): Row => ({ id, t: `row ${id}` });

const ROWS: Row[] = [
  {
    id: 1n,
    s: -32768,
    i: '2147483647',
    n: '0',
    n3: '1.0005',
    d: 1.5,
    t: 'héllo ✓ 😀\ttab\nnewline\\backslash',
    v: 'abc',
    b: true,
    ts: new Date(Date.UTC(2026, 0, 1, 12, 34, 56, 789)),
    tl: new Date(Date.UTC(2026, 0, 1, 12, 34, 56, 789)),
    dt: new Date(Date.UTC(2026, 1, 28, 23, 30)),
    j: { a: [1, 2, { b: null }], 'k"ey': 'v\n', big: 2n ** 70n, é: 'ü' },
    js: { b: 1, a: [true, 'x'] },
    u: '123e4567-e89b-12d3-a456-426614174000',
    by: new Uint8Array([0, 1, 127, 128, 255]),
  },
  {
    id: 9223372036854775807n,
    s: 32767,
    i: -2147483648,
    n: '-0.0001',
    n3: '-99999999.999',
    d: -0,
    t: '',
    v: 'ten chars!',
    b: false,
    ts: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
    tl: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
    dt: new Date(Date.UTC(1999, 11, 31)),
    j: [],
    js: 'a string',
    u: '123E4567E89B12D3A456426614174000',
    by: new Uint8Array([]),
  },
  {
    id: -9223372036854775808n,
    n: '123456789012345678901234567890.000123456789',
    n3: '000123.4500',
    d: 1e300,
    t: `${'x'.repeat(100)}é`,
    ts: new Date(Date.UTC(1, 0, 1)),
    dt: new Date(Date.UTC(1900, 0, 1)),
    j: { nested: { deeper: [1.5, -2, 'three'] } },
  },
  { id: 2, n: '10000', n3: '+.5', d: Number.NaN, t: 'a', v: 'café', j: 0 },
  { id: 3, n: '-10000.5', n3: '-.5', d: Number.POSITIVE_INFINITY, t: 'b', j: 'text' },
  { id: Number.MAX_SAFE_INTEGER, n: '99999999', n3: '0.000', t: 'c' },
  { id: '-42', n: '0.5000', t: 'd' },
  { id: 4 }, // every other column NULL
];

/** Rows as PostgreSQL renders them, in key order. */
async function rendered(name: string): Promise<string[]> {
  const { rows } = await db.sql.query<{ r: string }>(
    `SELECT row_value::text AS r FROM ${db.qschema}.${name} row_value ORDER BY id`,
  );
  return rows.map((r) => r.r);
}

/** The same rows inserted from their text form, parsed by PostgreSQL itself. */
async function viaText(name: string, table: ReturnType<typeof defineTable>, rows: readonly Row[]): Promise<void> {
  const names = table.columns.map((c) => c.sql).join(', ');
  const params = table.columns.map((c, i) => `$${i + 1}::text::${c.type}`).join(', ');
  for (const row of rows) {
    const values = table.columns.map((c) => {
      const value = row[c.name];
      return value === null || value === undefined ? null : c.codec.encode(value);
    });
    await db.sql.query(`INSERT INTO ${db.qschema}.${name} (${names}) VALUES (${params})`, values);
  }
}

describe('merge staging (binary COPY on PostgreSQL)', () => {
  it('stores every type exactly as PostgreSQL parses its text form, and a re-run changes nothing', async () => {
    const staged = await typesTable('staged_types');
    await typesTable('text_types');
    await viaText(
      'text_types',
      defineTable({ ...staged.toJSON(), table: { schema: db.schema, name: 'text_types' } }),
      ROWS,
    );
    const first = await merge(db.sql, staged, ROWS);
    expect(first).toMatchObject({ inserted: ROWS.length, updated: 0, rejected: [] });
    expect(await rendered('staged_types')).toEqual(await rendered('text_types'));
    const again = await merge(db.sql, staged, ROWS);
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: ROWS.length, rejected: [] });
  });

  it('updates a row whose only difference is one column, including NULL against a value', async () => {
    const table = await typesTable('one_column');
    const rows = [1, 2, 3, 4, 5, 6].map((id) => ({
      ...base(id),
      n3: '1.500',
      ts: new Date(Date.UTC(2026, 0, 1)),
      j: { a: [1, 2] },
      v: 'same',
    }));
    await merge(db.sql, table, rows);
    const changed: Row[] = rows.map((row) => ({ ...row }));
    (changed[0] as Row).j = { a: [1, 3] }; // deep inside the jsonb
    (changed[1] as Row).ts = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 1)); // one millisecond
    (changed[2] as Row).v = null; // value → NULL
    (changed[3] as Row).by = new Uint8Array([0]); // NULL → value
    (changed[4] as Row).n3 = '1.5'; // the same numeric, spelled differently: unchanged
    const result = await merge(db.sql, table, changed);
    expect(result).toMatchObject({ inserted: 0, updated: 4, unchanged: 2, rejected: [] });
    const { rows: stored } = await db.sql.query<{ id: string; v: string | null; by: Uint8Array | null }>(
      `SELECT id::text, v, by FROM ${db.qschema}.one_column WHERE id IN (3, 4) ORDER BY id`,
    );
    expect(stored.map((r) => [r.id, r.v, r.by === null ? null : [...r.by]])).toEqual([
      ['3', null, null],
      ['4', 'same', [0]],
    ]);
  });

  it('falls back to text for values with no binary form, and reports a refused row without losing the rest', async () => {
    const table = await typesTable('fallback');
    const rows: Row[] = [
      { ...base(1), ts: '2026-01-01 02:00:00+02', n: 1e21 },
      { ...base(2), n3: '1e2' },
      { ...base(3), t: 'nul \0 inside', n: '5' },
      { ...base(4), n: 'NaN', dt: '2026-03-01' },
    ];
    const result = await merge(db.sql, table, rows);
    expect(result.inserted).toBe(3);
    expect(result.rejected.map((f) => f.index)).toEqual([2]);
    const { rows: stored } = await db.sql.query<Record<string, string>>(
      `SELECT id::text, (ts AT TIME ZONE 'UTC')::text AS ts, n::text, n3::text, dt::text
       FROM ${db.qschema}.fallback ORDER BY id`,
    );
    expect(stored).toEqual([
      { id: '1', ts: '2026-01-01 00:00:00', n: '1000000000000000000000', n3: null, dt: null },
      { id: '2', ts: null, n: null, n3: '100.000', dt: null },
      { id: '4', ts: null, n: 'NaN', n3: null, dt: '2026-03-01' },
    ]);
    // A refused value in a later column does not leave half a row in a binary stream.
    const mixed: Row[] = [1, 2, 3, 4, 5].map((id) => ({ ...base(id + 10), n: `${id}.25` }));
    (mixed[2] as Row).v = 'eleven chars';
    const second = await merge(db.sql, table, mixed);
    expect(second).toMatchObject({ inserted: 4 });
    expect(second.rejected.map((f) => [f.index, f.column])).toEqual([[2, 'v']]);
  });

  it('drops a refused row written across the end of an encoding buffer, in a batch of many buffers', async () => {
    const table = await typesTable('slabs');
    // 2,000 rows of ~3 KB, every 50th of 400 KB (larger than what is left of a 1 MB slab, so its tuple moves to a
    // new one); every 97th row and every other huge one are refused by their last column.
    const rows: Row[] = Array.from({ length: 2000 }, (_, i) => ({
      ...base(i + 1),
      t: `${i}:${'é'.repeat(i % 50 === 5 ? 200_000 : 1500)}`,
      v: i % 97 === 5 || i % 100 === 55 ? 'eleven chars' : `ok ${i % 100}`,
    }));
    const refused = rows.flatMap((_, i) => (i % 97 === 5 || i % 100 === 55 ? [i] : []));
    const result = await merge(db.sql, table, rows);
    expect(result.rejected.map((f) => f.index)).toEqual(refused);
    expect(result.inserted).toBe(rows.length - refused.length);
    const { rows: stored } = await db.sql.query<{ n: number; chars: string; bad: number }>(
      `SELECT count(*)::int AS n, sum(length(t))::text AS chars,
              count(*) FILTER (WHERE t NOT LIKE id - 1 || ':%' OR v <> 'ok ' || ((id - 1) % 100)::text)::int AS bad
       FROM ${db.qschema}.slabs`,
    );
    const expected = rows.reduce((sum, row, i) => sum + (refused.includes(i) ? 0 : (row.t as string).length), 0);
    expect(stored[0]).toEqual({ n: rows.length - refused.length, chars: String(expected), bad: 0 });
    expect(await merge(db.sql, table, rows)).toMatchObject({
      inserted: 0,
      updated: 0,
      unchanged: 2000 - refused.length,
    });
  });
});
