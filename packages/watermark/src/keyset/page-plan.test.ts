import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { KeysetSql } from './sql.ts';
import type { KeysetPosition } from './types.ts';

const db = useTestDatabase();

type PlanNode = { 'Node Type': string; Plans?: PlanNode[] };

/** Every node type of an EXPLAIN (FORMAT JSON) plan. */
function nodeTypes(plan: PlanNode): string[] {
  return [plan['Node Type'], ...(plan.Plans ?? []).flatMap(nodeTypes)];
}

describe('the page statement', () => {
  it('reads a page in index order, with no bitmap scan and no sort, on a table stored out of cursor order', async () => {
    const t = `${db.qschema}.orders`;
    // Timestamps at random with respect to the heap order: the planner's worst case for an ordered index read.
    await db.sql.exec(`CREATE TABLE ${t} (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, note text);
      INSERT INTO ${t} SELECT i, timestamptz '2026-01-01' + (hashint4(i)::float8 / 2147483648 + 1) * interval '15 days',
        repeat('x', 60) FROM generate_series(1, 200000) AS i;
      CREATE INDEX ON ${t} (updated_at, id);
      ANALYZE ${t};`);
    const q = new KeysetSql({ table: { schema: db.schema, name: 'orders' } }, 'updated_at', ['id']);
    q.setTypes('updated_at', 'timestamp with time zone', ['bigint'], undefined);
    const hi = '2027-01-01T00:00:00Z';
    const positionAt = async (after: KeysetPosition | undefined, rows: number): Promise<KeysetPosition> => {
      const statement = q.boundary(after, hi, rows, false);
      const [end] = (await db.sql.query<Record<string, string>>(statement.text, statement.params)).rows;
      return { cursor: end?.c as string, key: [end?.k0 as string] };
    };
    // A page in the middle of the table, its ends found as extraction finds them.
    const after = await positionAt(undefined, 80_000);
    const page = q.page(after, await positionAt(after, 2_000));

    const { rows } = await db.sql.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${page.text}`,
      page.params,
    );
    const types = nodeTypes((rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan);
    expect(types).toContain('Index Scan');
    expect(types).not.toContain('Sort');
    expect(types).not.toContain('Bitmap Heap Scan');
    expect((await db.sql.query(page.text, page.params)).rows).toHaveLength(2_000);
  });
});
