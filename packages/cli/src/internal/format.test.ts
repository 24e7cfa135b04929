import { describe, expect, it } from 'vitest';
import { age, cut, jsonSafe, parseDuration, table } from './format.ts';

describe('format helpers', () => {
  it('jsonSafe spells out what JSON cannot carry, and only real cycles are cut', () => {
    const shared = { a: 1 };
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(
      jsonSafe({
        big: 12n,
        nan: Number.NaN,
        date: new Date(0),
        bad: new Date(Number.NaN),
        bytes: Buffer.from('hi'),
        map: new Map([[1, 'one']]),
        set: new Set([1]),
        err: new TypeError('no'),
        twice: [shared, shared],
        cyclic,
        undef: undefined,
      }),
    ).toEqual({
      big: '12',
      nan: 'NaN',
      date: '1970-01-01T00:00:00.000Z',
      bad: 'Invalid Date',
      bytes: { base64: 'aGk=' },
      map: { 1: 'one' },
      set: [1],
      err: { name: 'TypeError', message: 'no' },
      twice: [{ a: 1 }, { a: 1 }],
      cyclic: { name: 'x', self: '[Circular]' },
      undef: null,
    });
  });

  it('parses durations and prints ages', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration('yesterday')).toBeUndefined();
    expect(age(0)).toBe('0s');
    expect(age(-5)).toBe('0s');
    expect(age(90_061_000)).toBe('1d 1h');
    expect(age(61_000)).toBe('1m 1s');
  });

  it('aligns tables by visible width, ignoring colour codes', () => {
    const paint = (_c: string, t: string): string => t;
    const red = '\u001b[31mno\u001b[0m';
    expect(
      table(
        ['A', 'BB'],
        [
          ['xxx', 'y'],
          [red, 'z'],
        ],
        paint,
      ),
    ).toBe(`A    BB\nxxx  y\n${red}   z`);
    expect(cut('a  b\n c', 10)).toBe('a b c');
    expect(cut('abcdefghijkl', 5)).toBe('abcd…');
  });
});
