// The binary arrays a PostgreSQL send passes, read back by the real server as text it formats itself.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { binaryInt4Array, binaryTextArray, binaryTimestamptzArray } from './pg-binary-array.ts';

const db = useTestDatabase();

it('carries text with NULLs, empty strings and any UTF-8 (growing past the ASCII-sized buffer)', async () => {
  const values = ['', null, 'plain', 'é', '日本語テキスト'.repeat(50), 'emoji 🎉', null, 'tab\tquote"back\\slash'];
  const { rows } = await db.sql.query<{ v: string | null; n: number }>(
    'SELECT v, n::int AS n FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n',
    [binaryTextArray(values)],
  );
  expect(rows.map((r) => r.v)).toEqual(values);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { maxLength: 40 }),
      async (list) => {
        const { rows: back } = await db.sql.query<{ v: (string | null)[] | null }>('SELECT $1::text[] AS v', [
          binaryTextArray(list),
        ]);
        expect(back[0]?.v ?? []).toEqual(list);
      },
    ),
    { numRuns: 50 },
  );
});

it('carries 32-bit integers and timestamps to the microsecond, before and after 2000 and far out', async () => {
  const ints = [0, 1, -1, 2_147_483_647, -2_147_483_648];
  const times = [
    0,
    -1,
    946_684_800_000, // PostgreSQL's epoch
    946_684_799_999,
    Date.UTC(2026, 10, 21, 23, 59, 59, 999),
    Date.UTC(1900, 0, 1),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    -62_135_596_800_000, // 0001-01-01
  ];
  const { rows } = await db.sql.query<{ i: number[]; t: string[] }>(
    `SELECT $1::int[] AS i,
       array(SELECT to_char(x AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM unnest($2::timestamptz[]) x) AS t`,
    [binaryInt4Array(ints), binaryTimestamptzArray(times)],
  );
  expect(rows[0]?.i).toEqual(ints);
  expect(rows[0]?.t).toEqual(times.map((ms) => new Date(ms).toISOString()));
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), { maxLength: 30 }),
      async (list) => {
        const { rows: back } = await db.sql.query<{ ms: string[] }>(
          `SELECT array(SELECT (extract(epoch FROM x) * 1000)::bigint::text FROM unnest($1::timestamptz[]) x) AS ms`,
          [binaryTimestamptzArray(list)],
        );
        expect(back[0]?.ms.map(Number)).toEqual(list);
      },
    ),
    { numRuns: 50 },
  );
});
