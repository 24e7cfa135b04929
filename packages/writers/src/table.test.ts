import { hasErrorCode } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { codecFor, copyEscape } from './internal/encode.ts';
import { Rejection } from './internal/reject.ts';
import { defineTable } from './table.ts';
import { tableFromZod } from './zod.ts';

const encode = (type: string, value: unknown): string => {
  const codec = codecFor(type);
  if (codec === undefined) throw new Error(`no codec for ${type}`);
  return codec.encode(value);
};
const refusal = (type: string, value: unknown): string => {
  try {
    encode(type, value);
  } catch (error) {
    if (error instanceof Rejection) return error.message;
    throw error;
  }
  throw new Error(`${type} accepted ${String(value)}`);
};

describe('defineTable', () => {
  it('validates names, types and the key once, with typed errors', () => {
    const table = defineTable({
      table: 'etl.orders',
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'note', type: 'varchar(10)', nullable: false },
      ],
      key: 'id',
    });
    expect(table.sql).toBe('"etl"."orders"');
    expect(table.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['id', 'bigint', false],
      ['note', 'varchar(10)', false],
    ]);
    expect(defineTable(table.toJSON()).toJSON()).toEqual(table.toJSON());
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => defineTable({ table: 't', columns: { id: 'money' }, key: 'id' }))).toBe('PW_WRITERS_TABLE_SPEC');
    expect(code(() => defineTable({ table: 't', columns: { id: 'bigint' }, key: 'other' }))).toBe(
      'PW_WRITERS_TABLE_SPEC',
    );
    expect(code(() => defineTable({ table: 't', columns: { id: 'bigint' }, key: [] }))).toBe('PW_INVALID_OPTION');
    expect(code(() => defineTable({ table: 't', columns: {}, key: 'id' }))).toBe('PW_INVALID_OPTION');
    expect(code(() => defineTable({ table: 't', columns: { id: 'json' }, key: 'id' }))).toBe('PW_WRITERS_TABLE_SPEC');
    expect(
      code(() =>
        defineTable({
          table: 't',
          columns: [
            { name: 'id', type: 'text' },
            { name: 'id', type: 'text' },
          ],
          key: 'id',
        }),
      ),
    ).toBe('PW_WRITERS_TABLE_SPEC');
    expect(code(() => defineTable({ table: 't;drop', columns: { id: 'text' }, key: 'id' }))).toBe(
      'PW_INVALID_IDENTIFIER',
    );
    expect(code(() => defineTable(null as never))).toBe('PW_INVALID_OPTION');
    expect(code(() => table.column('nope', 'version'))).toBe('PW_INVALID_OPTION');
  });
});

describe('value encoders', () => {
  it('produce PostgreSQL text input for each type', () => {
    expect(encode('bigint', 12345678901234567890n % 9223372036854775807n)).toMatch(/^\d+$/);
    expect(encode('integer', '-42')).toBe('-42');
    expect(encode('smallint', 7)).toBe('7');
    expect(encode('numeric(6,2)', '-1234.567')).toBe('-1234.567');
    expect(encode('numeric', 'NaN')).toBe('NaN');
    expect(encode('numeric(10,2)', 12n)).toBe('12');
    expect(encode('numeric(10,2)', '1.5e3')).toBe('1.5e3');
    expect(encode('double precision', Number.NaN)).toBe('NaN');
    expect(encode('real', 3n)).toBe('3');
    expect(encode('boolean', false)).toBe('f');
    expect(encode('timestamptz', '2026-01-01 00:00:00+00')).toBe('2026-01-01 00:00:00+00');
    expect(encode('date', new Date('2026-03-04T10:00:00Z'))).toBe('2026-03-04');
    expect(encode('jsonb', { big: 2n ** 70n, s: 'a\nb' })).toBe('{"big":1180591620717411303424,"s":"a\\nb"}');
    expect(encode('bytea', new Uint8Array([0, 255, 16]))).toBe('\\x00ff10');
    expect(encode('uuid', '123e4567-e89b-12d3-a456-426614174000')).toBe('123e4567-e89b-12d3-a456-426614174000');
    expect(encode('text[]', ['a', 'b c', null, '', 'NULL', 'q"\\'])).toBe('{a,"b c",NULL,"","NULL","q\\"\\\\"}');
    expect(encode('bigint[]', [1n, 2])).toBe('{1,2}');
    expect(copyEscape('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(codecFor('jsonb[]')).toBeUndefined();
    expect(codecFor('numeric(2,5)')).toBeUndefined();
  });

  it('refuse what PostgreSQL would refuse, saying why', () => {
    expect(refusal('smallint', 40000)).toMatch(/smallint range/);
    expect(refusal('bigint', 2n ** 63n)).toMatch(/bigint out of range/);
    expect(refusal('bigint', 1.5)).toMatch(/not an integer/);
    expect(refusal('integer', 'x')).toMatch(/expected an integer/);
    expect(refusal('numeric(4,2)', '123.4')).toMatch(/numeric field overflow/);
    expect(refusal('numeric(4,2)', '1e5')).toMatch(/numeric field overflow/);
    expect(refusal('numeric', '1e')).toMatch(/invalid input syntax/);
    expect(refusal('numeric', Number.POSITIVE_INFINITY)).toMatch(/expected a decimal/);
    expect(refusal('real', 'x')).toMatch(/expected a number/);
    expect(refusal('text', 'a\u0000')).toMatch(/0x00/);
    expect(refusal('text', 'a\uD800b')).toMatch(/lone surrogate/); // reliability suite: was stored as U+FFFD
    expect(refusal('varchar(9)', '\uDFFF')).toMatch(/lone surrogate/);
    expect(encode('text', 'pair 😀')).toBe('pair 😀');
    expect(refusal('varchar(2)', 'abc')).toMatch(/too long/);
    expect(encode('varchar(2)', '😀😀')).toBe('😀😀'); // counted in characters, like PostgreSQL
    expect(refusal('boolean', 'yes')).toMatch(/expected a boolean/);
    expect(refusal('timestamptz', new Date(Number.NaN))).toMatch(/invalid Date/);
    expect(refusal('timestamptz', 5)).toMatch(/expected a Date/);
    expect(refusal('date', new Date(Number.NaN))).toMatch(/invalid Date/);
    expect(refusal('date', {})).toMatch(/expected a Date/);
    expect(refusal('jsonb', { s: 'a\u0000' })).toMatch(/\\u0000/);
    expect(refusal('jsonb', undefined as never)).toMatch(/expected a JSON value/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(refusal('jsonb', cyclic)).toMatch(/not serialisable/);
    expect(refusal('bytea', 'ab')).toMatch(/Uint8Array/);
    expect(refusal('uuid', 'nope')).toMatch(/uuid/);
    expect(refusal('text[]', 'a')).toMatch(/expected an array/);
  });
});

describe('tableFromZod', () => {
  it('maps a zod object to PostgreSQL types and nullability', () => {
    const schema = z.object({
      id: z.int(),
      ref: z.uuid(),
      at: z.iso.datetime(),
      day: z.iso.date().optional(),
      amount: z.string(),
      score: z.number().nullable(),
      big: z.bigint(),
      ok: z.boolean().default(false),
      when: z.date(),
      meta: z.object({ a: z.number() }),
      tags: z.array(z.string()),
      grid: z.array(z.array(z.number())),
      kind: z.enum(['a', 'b']),
      trimmed: z.string().transform((s) => s.trim()),
    });
    const table = tableFromZod(schema, { table: 'events', key: ['id'], types: { amount: 'numeric(18,2)' } });
    expect(Object.fromEntries(table.columns.map((c) => [c.name, `${c.type}${c.nullable ? '?' : ''}`]))).toEqual({
      id: 'bigint',
      ref: 'uuid',
      at: 'timestamptz',
      day: 'date?',
      amount: 'numeric(18,2)',
      score: 'double precision?',
      big: 'bigint',
      ok: 'boolean',
      when: 'timestamptz',
      meta: 'jsonb',
      tags: 'text[]',
      grid: 'jsonb',
      kind: 'text',
      trimmed: 'text',
    });
    expect(
      hasErrorCode(
        catching(() => tableFromZod(z.string(), { table: 't', key: 'id' })),
        'PW_INVALID_OPTION',
      ),
    ).toBe(true);
    expect(
      hasErrorCode(
        catching(() => tableFromZod(z.object({ id: z.int(), f: z.instanceof(Uint8Array) }), { table: 't', key: 'id' })),
        'PW_WRITERS_TABLE_SPEC',
      ),
    ).toBe(true);
    expect(
      hasErrorCode(
        catching(() => tableFromZod(z.object({ id: z.int() }), { table: 't', key: 'id', types: { x: 'text' } })),
        'PW_INVALID_OPTION',
      ),
    ).toBe(true);
  });
});

function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
