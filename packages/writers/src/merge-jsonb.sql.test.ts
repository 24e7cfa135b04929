import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { canonicalJson } from './internal/canonical-json.ts';
import { jsonText } from './internal/encode.ts';
import { merge } from './merge.ts';
import { defineTable } from './table.ts';

// merge stages jsonb values as jsonb's text output and compares them as text: the staged text must be the
// server's own rendering (or else only cost a needless lock), and must always store the same value.
const db = useTestDatabase();

class Point {
  readonly x: number;
  readonly y: number;
  constructor(x: number, y: number) {
    this.x = x;
    this.y = y;
  }
}

const SAMPLES: unknown[] = [
  { channel: 'web', items: 3, note: 'order 1' },
  { b: 1, a: 2, aa: 3, ä: 4, z: 5, '': 6, 'k"ey': 'v\n\t\u0001', ключ: ['ü', '😀'] },
  { '\u{1F600}': 1, '\uFFFF': 2, '\u00e9': 3 }, // UTF-8 byte order, not UTF-16 order
  { nested: { deeper: [1.5, -2, 'three', null, true, false, { y: [], x: {} }] } },
  [1, [2, [3, []]], { a: undefined, b: () => 1 }, undefined],
  { big: 2n ** 70n, negativeZero: -0, small: 0.000001, half: 0.5, nan: Number.NaN },
  { when: new Date(Date.UTC(2026, 0, 1)), nested: { toJSON: () => ({ replaced: true }) } },
  'a string',
  0,
  -12.25,
  true,
  null,
  { exponent: 1e21, tiny: -1.5e-7, max: Number.MAX_VALUE },
  // Forms the canonical text does not reproduce: the write's own jsonb comparison keeps them unchanged.
  { point: new Point(1, 2) },
  new Map([['a', 1]]),
];

async function serverTexts(values: readonly unknown[]): Promise<{ canon: string; same: boolean }[]> {
  const { rows } = await db.sql.query<{ canon: string; same: boolean }>(
    `SELECT b::jsonb::text AS canon, a::jsonb = b::jsonb AS same
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(a, b, n) ORDER BY n`,
    [values.map((value) => canonicalJson(value)), values.map((value) => jsonText(value))],
  );
  return rows;
}

describe('jsonb staged as its text output', () => {
  it("is the server's own rendering of the value, or a plain JSON text of the same value", async () => {
    const values = fc.sample(fc.jsonValue({ maxDepth: 4 }), { numRuns: 300, seed: 5 });
    const unicode = fc.sample(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })), {
      numRuns: 200,
      seed: 6,
    });
    const all = [...values, ...unicode, ...SAMPLES].filter((v) => !jsonText(v).includes('\\u0000'));
    const rendered = await serverTexts(all);
    let matched = 0;
    rendered.forEach((server, i) => {
      expect(server.same, jsonText(all[i])).toBe(true);
      const text = canonicalJson(all[i]);
      if (text === server.canon) matched++;
      else expect(text).toBe(jsonText(all[i])); // the fallback (a class instance)
    });
    expect(matched).toBe(all.length - 1); // all but the Point; the Map's plain text happens to match
    // The hand-picked samples before the fallback ones all match.
    const picked = await serverTexts(SAMPLES.slice(0, 13));
    picked.forEach((server, i) => {
      expect(canonicalJson(SAMPLES[i])).toBe(server.canon);
    });
  });

  it('re-merging unchanged jsonb neither writes nor locks a row; a changed one is written', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.docs (id integer PRIMARY KEY, label text, doc jsonb)`);
    const table = defineTable({
      table: { schema: db.schema, name: 'docs' },
      columns: { id: 'integer', label: 'text', doc: 'jsonb' },
      key: 'id',
    });
    const rows = SAMPLES.map((doc, i) => ({ id: i + 1, label: `row ${i}`, doc }));
    rows.push({ id: 100, label: 'null jsonb', doc: null as unknown as object });
    expect(await merge(db.sql, table, rows)).toMatchObject({ inserted: rows.length, rejected: [] });
    const again = await merge(db.sql, table, rows);
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: rows.length, rejected: [] });
    // The only locked row (xmax set) is the one whose text falls back to a different spelling.
    const { rows: locked } = await db.sql.query<{ id: number }>(
      `SELECT id FROM ${db.qschema}.docs WHERE xmax::text <> '0' ORDER BY id`,
    );
    expect(locked.map((r) => r.id)).toEqual([14]);
    const changed = rows.map((row) => ({ ...row }));
    (changed[0] as { doc: unknown }).doc = { channel: 'web', items: 4, note: 'order 1' };
    (changed[1] as { doc: unknown }).doc = null;
    const third = await merge(db.sql, table, changed);
    expect(third).toMatchObject({ inserted: 0, updated: 2, unchanged: rows.length - 2 });
    const { rows: stored } = await db.sql.query<{ doc: string | null }>(
      `SELECT doc::text FROM ${db.qschema}.docs WHERE id IN (1, 2) ORDER BY id`,
    );
    expect(stored).toEqual([{ doc: '{"note": "order 1", "items": 4, "channel": "web"}' }, { doc: null }]);
  });

  it('refuses a value jsonb cannot store with its reason and writes the rest, for new and stored rows', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.bad (id integer PRIMARY KEY, doc jsonb)`);
    const table = defineTable({
      table: { schema: db.schema, name: 'bad' },
      columns: { id: 'integer', doc: 'jsonb' },
      key: 'id',
    });
    await merge(db.sql, table, [
      { id: 1, doc: { a: 1 } },
      { id: 2, doc: { a: 2 } },
    ]);
    const lone = '\ud800 lone surrogate';
    const result = await merge(db.sql, table, [
      { id: 1, doc: { a: lone } },
      { id: 2, doc: { a: 20 } },
      { id: 3, doc: [lone] },
      { id: 4, doc: { a: 4 } },
      { id: 5, doc: { nested: ['a NUL \0 inside'] } },
      { id: 6, doc: { 'key with a NUL \0': 1 } },
    ]);
    expect(result).toMatchObject({ inserted: 1, updated: 1 });
    expect(result.rejected.map((f) => [f.index, f.code])).toEqual([
      [4, undefined], // refused before sending: jsonb cannot store \u0000
      [5, undefined],
      [0, '22P02'],
      [2, '22P02'],
    ]);
    expect(result.rejected[0]?.reason).toMatch(/u0000/);
    const { rows } = await db.sql.query<{ id: number; doc: string }>(
      `SELECT id, doc::text FROM ${db.qschema}.bad ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, doc: '{"a": 1}' },
      { id: 2, doc: '{"a": 20}' },
      { id: 4, doc: '{"a": 4}' },
    ]);
  });
});
