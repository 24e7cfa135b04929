import { createRedactor, decodeValue, encodeValue, toTagged } from '@pipewright/dlq';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoString } from './internal/tagged-json.ts';

class Money {
  readonly cents: bigint;
  readonly currency: string;
  constructor(cents: bigint, currency: string) {
    this.cents = cents;
    this.currency = currency;
  }
}

describe('tagged JSON codec', () => {
  it('round-trips any JSON-like value with bigint, Date, Buffer, undefined and odd numbers', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.bigInt(),
      fc.date(),
      fc.uint8Array().map((a) => Buffer.from(a)),
      fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY, '\u0000', 'a\u0000b', 'a\uD800b', '\uDC00\u0000'),
    );
    const value = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('tree')),
        fc.dictionary(fc.string(), tie('tree'), { noNullPrototype: true }),
      ),
    })).tree;
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeValue(encodeValue(v))).toStrictEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('writes the text directly, byte for byte what JSON.stringify(toTagged(value)) gives', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.bigInt(),
      fc.date(),
      fc.constant(new Date(Number.NaN)),
      fc.uint8Array().map((a) => Buffer.from(a)),
      fc.uint8Array(),
      fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY, '\u0000', 'a\uD800b', () => 1, Symbol('s')),
      fc.constantFrom(
        new Money(250n, 'EUR'),
        { toJSON: () => ({ replaced: 1n }) },
        { $pw: 'bigint', v: '1' },
        { ['\uD800']: 1 },
        new Map<unknown, unknown>([[1n, new Set([-0])]]),
        Object.assign(Object.create(null), { nullProto: 1n }),
        new String('boxed'),
        new Array(2).fill(1, 1), // a hole, then 1
      ),
    );
    const value = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('tree')), fc.dictionary(fc.string(), tie('tree'))),
    })).tree;
    fc.assert(
      fc.property(value, (v) => {
        expect(encodeValue(v)).toBe(JSON.stringify(toTagged(v)) ?? 'null');
      }),
      { numRuns: 1000 },
    );
    let deep: unknown = { at: 1n };
    for (let i = 0; i < 600; i++) deep = i % 2 === 0 ? [deep] : { k: deep, d: new Date(i) };
    const circular: Record<string, unknown> = { n: 1n };
    circular.self = circular;
    for (const v of [deep, circular]) expect(encodeValue(v)).toBe(JSON.stringify(toTagged(v)));
  });

  it('formats a Date as toISOString does, over the whole Date range', () => {
    const edges = [0, -1, 253_402_300_799_999, 253_402_300_800_000, -30_610_224_000_000, -30_610_224_000_001];
    for (const time of [...edges, Date.UTC(2000, 1, 29), Date.UTC(2100, 1, 28, 23, 59, 59, 999)]) {
      expect(isoString(time)).toBe(new Date(time).toISOString());
    }
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (time) => {
        expect(isoString(time)).toBe(new Date(time).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('stores a tree deeper than any call stack as one deep tag, below a bounded depth of plain JSON', () => {
    let value: unknown = { leaf: [1n, new Date(0), 'a\u0000b', new Map([[1, new Set([Number.NaN])]])] };
    for (let i = 0; i < 100_000; i++)
      value = i % 3 === 0 ? [value, i] : i % 3 === 1 ? { [`k${i}`]: value } : new Map([['m', value]]);
    const text = encodeValue(value);
    const plainDepth = text.indexOf('"$pw":"deep"');
    expect(plainDepth).toBeGreaterThan(0);
    // What precedes the tag is ordinary nested JSON of a depth PostgreSQL's json parser follows.
    expect(
      text
        .slice(0, plainDepth)
        .split('')
        .filter((c) => c === '[' || c === '{').length,
    ).toBeLessThan(600);
    let back = decodeValue(text) as unknown;
    let original = value;
    for (let i = 0; i < 100_000; i++) {
      if (Array.isArray(original)) {
        expect(back).toEqual([expect.anything(), original[1]]);
        [original, back] = [original[0], (back as unknown[])[0]];
      } else if (original instanceof Map) {
        expect(back).toBeInstanceOf(Map);
        [original, back] = [original.get('m'), (back as Map<string, unknown>).get('m')];
      } else {
        const key = Object.keys(original as object)[0] as string;
        expect(Object.keys(back as object)).toEqual([key]);
        [original, back] = [(original as Record<string, unknown>)[key], (back as Record<string, unknown>)[key]];
      }
    }
    expect(back).toStrictEqual(original);
  });

  it('marks a circular reference instead of overflowing', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let level = decodeValue(encodeValue(cyclic)) as Record<string, unknown>;
    let depth = 0;
    while (typeof level.self === 'object') {
      expect(level.a).toBe(1);
      level = level.self as Record<string, unknown>;
      depth++;
    }
    expect(level.self).toBe('[Circular]');
    expect(depth).toBeGreaterThan(200);
  });

  it('keeps lone surrogates in values and keys without writing an escape PostgreSQL json refuses', () => {
    const value = { note: 'a\uD800b', ['k\uDFFF']: ['\uD83D'], fine: 'emoji 🚀' };
    const text = encodeValue(value);
    expect(text).not.toMatch(/\\ud[89a-f]/i);
    expect(decodeValue(text)).toStrictEqual(value);
    const long = 'x\uD800'.repeat(20_000);
    expect(decodeValue(encodeValue(long))).toBe(long);
  });

  it('writes plain JSON for plain values and escapes objects that carry the tag key', () => {
    expect(encodeValue({ a: [1, 'x', null, true] })).toBe('{"a":[1,"x",null,true]}');
    expect(decodeValue(encodeValue({ $pw: 'bigint', v: '1' }))).toEqual({ $pw: 'bigint', v: '1' });
    expect(decodeValue(encodeValue(undefined))).toBeUndefined();
    expect(decodeValue(encodeValue(new Set([undefined])))).toEqual(new Set([undefined]));
    expect(decodeValue('{"$pw":"future-tag","v":1}')).toEqual({ $pw: 'future-tag', v: 1 });
  });

  it('follows JSON for class instances, toJSON, boxed primitives, functions and symbols', () => {
    const decimal = { toJSON: () => '12.50' };
    Object.setPrototypeOf(decimal, { kind: 'decimal' });
    const encoded = encodeValue({
      money: new Money(1250n, 'EUR'),
      decimal,
      boxed: [new String('s'), new Number(2), new Boolean(false)],
      fn: () => 1,
      sym: Symbol('x'),
      list: [() => 1],
    });
    expect(decodeValue(encoded)).toStrictEqual({
      money: { cents: 1250n, currency: 'EUR' },
      decimal: '12.50',
      boxed: ['s', 2, false],
      list: [null],
    });
    expect(encodeValue(Object.create(null))).toBe('{}');
  });
});

describe('createRedactor', () => {
  it('validates its options', () => {
    expect(() => createRedactor({ paths: [''], key: 'k' })).toThrow(/redact.paths/);
    expect(() => createRedactor({ paths: ['a'], key: '' })).toThrow(/redact.key/);
    expect(() => createRedactor({ paths: ['a'], key: new Uint8Array(0) })).toThrow(/redact.key/);
  });

  it('leaves missing paths, null values and non-objects alone', () => {
    const redact = createRedactor({ paths: ['a.b', 'list.*', 'x.y.z'], key: new Uint8Array([1, 2]) });
    const record = { a: { b: null }, list: [1, 1], x: 5 };
    const out = redact(record);
    expect(out.a.b).toBeNull();
    expect(out.list[0]).toBe(out.list[1]);
    expect(out.list[0]).toMatch(/^hmac-sha256:/);
    expect(out.x).toBe(5);
    expect(redact('plain')).toBe('plain');
  });
});
