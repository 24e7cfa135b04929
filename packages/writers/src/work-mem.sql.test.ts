import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { raiseWorkMem, restoreWorkMem } from './internal/work-mem.ts';
import { merge } from './merge.ts';
import { defineTable } from './table.ts';

// A large merge raises work_mem for its apply statement only; 'auto' sizes it from the staging table.
const db = useTestDatabase();

const kilobytes = async (tx: typeof db.sql): Promise<number> => {
  const { rows } = await tx.query<{ kb: string }>(`SELECT pg_size_bytes(current_setting('work_mem')) / 1024 AS kb`);
  return Number(rows[0]?.kb);
};

describe('work_mem of the apply statement', () => {
  it("'auto' is twice the staged size over hash_mem_multiplier, at least 64 MB, and is restored", async () => {
    await db.sql.transaction(async (tx) => {
      await tx.exec(`CREATE TEMP TABLE small_stage ON COMMIT DROP AS SELECT 1 AS id`);
      // ~70 MB: 240,000 rows of 256 characters that a heap page stores uncompressed.
      await tx.exec(`CREATE TEMP TABLE large_stage ON COMMIT DROP AS
                     SELECT i AS id, repeat(md5(i::text), 8) AS filler FROM generate_series(1, 240000) i`);
      await tx.exec(`SET LOCAL work_mem = '4MB'`);
      await tx.exec(`SET LOCAL hash_mem_multiplier = 1`);
      const previous = await raiseWorkMem(tx, 'small_stage', 'auto');
      expect(previous).toBe('4MB');
      expect(await kilobytes(tx)).toBe(64 * 1024);
      await restoreWorkMem(tx, previous as string);
      expect(await kilobytes(tx)).toBe(4 * 1024);
      await raiseWorkMem(tx, 'large_stage', 'auto');
      const { rows } = await tx.query<{ bytes: string }>(`SELECT pg_relation_size('large_stage') AS bytes`);
      expect(Number(rows[0]?.bytes)).toBeGreaterThan(60 * 1024 * 1024);
      expect(await kilobytes(tx)).toBe(Math.ceil((Number(rows[0]?.bytes) * 2) / 1024));
      await raiseWorkMem(tx, 'large_stage', '200MB');
      expect(await kilobytes(tx)).toBe(200 * 1024);
    });
  });

  it("a large merge with 'auto' or a fixed size leaves the caller's setting as it was", async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.wm (id integer PRIMARY KEY, v text)`);
    const table = defineTable({
      table: { schema: db.schema, name: 'wm' },
      columns: { id: 'integer', v: 'text' },
      key: 'id',
    });
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ id: i + 1, v: `v${i}` }));
    await merge(db.sql, table, rows.slice(0, 1)); // not a first load: the batch is staged
    for (const workMem of ['auto', '80MB', null] as const) {
      const result = await db.sql.transaction(async (tx) => {
        await tx.exec(`SET LOCAL work_mem = '5MB'`);
        const merged = await merge(tx, table, rows, { workMem });
        return { merged, after: await kilobytes(tx) };
      });
      expect(result.after).toBe(5 * 1024);
      expect(result.merged.rejected).toEqual([]);
    }
    const { rows: count } = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.qschema}.wm`);
    expect(count[0]?.n).toBe(60_000);
  });
});
