import { InvalidOptionError } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import {
  acceptedValues,
  custom,
  customSql,
  freshness,
  isRowCheck,
  notNull,
  outliers,
  pattern,
  range,
  relationships,
  rowCount,
  unique,
  volumeAnomaly,
} from './define.ts';
import { runChecks } from './memory.ts';

describe('check factories', () => {
  it('fill defaults and names', () => {
    expect(notNull('email')).toEqual({
      type: 'not_null',
      column: 'email',
      name: 'not_null(email)',
      severity: 'error',
      mostly: 1,
    });
    expect(unique(['a', 'b']).name).toBe('unique(a, b)');
    expect(outliers('x')).toMatchObject({ method: 'zscore', threshold: 3 });
    expect(outliers('x', { method: 'iqr' })).toMatchObject({ threshold: 1.5 });
    expect(volumeAnomaly('at')).toMatchObject({ days: 7, maxDrop: 0.5, maxSpike: 1, dayOffset: 0 });
    expect(pattern('x', /a/g).pattern.flags).toBe('');
    expect(isRowCheck(notNull('a'))).toBe(true);
    expect(isRowCheck(rowCount({ min: 1 }))).toBe(false);
  });

  it.each([
    ['severity', () => notNull('a', { severity: 'fatal' as never })],
    ['mostly', () => notNull('a', { mostly: 1.1 })],
    ['mostly', () => notNull('a', { mostly: Number.NaN })],
    ['name', () => notNull('a', { name: '' })],
    ['column', () => notNull('')],
    ['columns', () => unique([])],
    ['values', () => acceptedValues('a', [])],
    ['min', () => range('a', { min: Number.NaN })],
    ['max', () => range('a', { max: new Date('x') })],
    ['min/max', () => range('a', {})],
    ['pattern', () => pattern('a', '(')],
    ['pattern', () => pattern('a', /a/m)],
    ['to', () => relationships('a', null as never)],
    ['to.values', () => relationships('a', { values: 'x' as never })],
    ['to.column', () => relationships('a', { table: 't', column: '' })],
    ['method', () => outliers('a', { method: 'mad' as never })],
    ['threshold', () => outliers('a', { threshold: 0 })],
    ['min', () => rowCount({ min: -1 })],
    ['min/max', () => rowCount({})],
    ['sql', () => customSql('x', ' ')],
    ['predicate', () => custom('x', 'no' as never)],
    ['warnAfterMs/errorAfterMs', () => freshness('a', {})],
    ['days', () => volumeAnomaly('a', { days: 0 })],
    ['maxDrop', () => volumeAnomaly('a', { maxDrop: 2 })],
    ['dayOffset', () => volumeAnomaly('a', { dayOffset: -1 })],
  ])('refuse a bad %s up front', (option, make) => {
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(option.includes('/') ? option : `\`${option}\``);
  });
});

describe('runChecks on hostile rows', () => {
  it('never reads through the prototype and bounds samples', () => {
    const rows = [
      JSON.parse('{"id":1,"__proto__":{"email":"x"}}'),
      { id: 2, email: 'y'.repeat(1_000_000) },
      Object.create(null),
    ];
    const [nulls, shape] = runChecks(rows, [notNull('email'), pattern('email', /^y{1,10}$/)], { key: 'id' });
    expect(nulls).toMatchObject({ failing: 2 }); // the __proto__ "email" is not an email
    expect(shape).toMatchObject({ failing: 1 });
    expect(JSON.stringify(shape?.sample).length).toBeLessThan(300);
    expect(runChecks([{ constructor: 5 }, {}], [notNull('constructor')])[0]).toMatchObject({ failing: 1 });
  });

  it('treats NaN, Infinity and objects as out of range, and skips non-finite values for outliers', () => {
    const values = [1, Number.NaN, Number.POSITIVE_INFINITY, { v: 1 }, '5', 'abc', 2n];
    const rows = values.map((amount, i) => ({ id: i, amount }));
    const [result] = runChecks(rows, [range('amount', { min: 0, max: 10 })]);
    expect(result).toMatchObject({ failing: 4 }); // NaN, Infinity, the object, 'abc'
    expect(runChecks(rows, [outliers('amount')])[0]).toMatchObject({ failing: 0 });
  });

  it('ignores invalid dates in freshness and volume', () => {
    const now = Date.UTC(2026, 0, 2);
    const rows = [{ at: new Date('nope') }, { at: 'not a date' }, { at: new Date(now - 1000).toISOString() }];
    const [fresh] = runChecks(rows, [freshness('at', { errorAfterMs: 5000 })], { clock: { now: () => now } });
    expect(fresh).toMatchObject({ status: 'pass', observed: 1000 });
  });

  it('turns a throwing custom predicate into a failure with its message', () => {
    const check = custom('boom', () => {
      throw new Error('bad row');
    });
    const [result] = runChecks([{ a: 1 }], [check]);
    expect(result).toMatchObject({ failing: 1, status: 'fail' });
  });

  it('validates run options', () => {
    expect(() => runChecks([], [], { sampleSize: -1 })).toThrow(/sampleSize/);
    expect(() => runChecks('rows' as never, [])).toThrow(/rows/);
  });
});
