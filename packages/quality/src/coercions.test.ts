import { InvalidOptionError } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bigintId, decimalString, isoTimestamp } from './coercions.ts';
import { validateBatch } from './validate.ts';

describe('isoTimestamp', () => {
  const ts = isoTimestamp();

  it.each([
    ['2026-03-01T10:00:00Z', '2026-03-01T10:00:00.000Z'],
    ['2026-03-01T10:00:00.123456Z', '2026-03-01T10:00:00.123Z'],
    ['2026-03-01T12:00:00+02:00', '2026-03-01T10:00:00.000Z'],
    ['2026-03-01 05:30-0430', '2026-03-01T10:00:00.000Z'],
    ['2026-03-01T10:00:00+00', '2026-03-01T10:00:00.000Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
  ])('parses %s to UTC', (input, expected) => {
    expect(ts.parse(input).toISOString()).toBe(expected);
  });

  it('refuses naive timestamps unless a zone is assumed', () => {
    const result = ts.safeParse('2026-03-01T10:00:00');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/no zone/);
    expect(isoTimestamp({ assumeZone: 'UTC' }).parse('2026-03-01T10:00:00').toISOString()).toBe(
      '2026-03-01T10:00:00.000Z',
    );
    expect(isoTimestamp({ assumeZone: '-05:00' }).parse('2026-03-01T10:00:00').toISOString()).toBe(
      '2026-03-01T15:00:00.000Z',
    );
  });

  it('resolves IANA zones including daylight saving time', () => {
    const paris = isoTimestamp({ assumeZone: 'Europe/Paris' });
    expect(paris.parse('2026-01-15T12:00:00').toISOString()).toBe('2026-01-15T11:00:00.000Z');
    expect(paris.parse('2026-07-15T12:00:00').toISOString()).toBe('2026-07-15T10:00:00.000Z');
  });

  it.each([
    '2026-02-30T10:00:00Z',
    '2025-02-29T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T10:60:00Z',
    '2026-03-01T10:00:61Z',
    '2026-03-01T10:00:00+25:00',
    '2026-03-01',
    'yesterday',
    '',
    `2026-03-01T10:00:00Z${' '.repeat(1000)}`,
  ])('refuses %j', (input) => {
    expect(ts.safeParse(input).success).toBe(false);
  });

  it('accepts valid Date objects and refuses invalid ones and other types', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    expect(ts.parse(now)).toBe(now);
    expect(ts.safeParse(new Date('nope')).success).toBe(false);
    expect(ts.safeParse(1_700_000_000_000).success).toBe(false);
    expect(ts.safeParse(null).success).toBe(false);
  });

  it('refuses an unknown zone name up front', () => {
    expect(() => isoTimestamp({ assumeZone: 'Mars/Olympus' })).toThrow(InvalidOptionError);
  });
});

describe('decimalString', () => {
  it('keeps decimals exact as strings and normalises leading zeros and signs', () => {
    const d = decimalString();
    expect(d.parse('19.99')).toBe('19.99');
    expect(d.parse('0007.10')).toBe('7.10');
    expect(d.parse('+3')).toBe('3');
    expect(d.parse('-0.00')).toBe('0.00');
    expect(d.parse('-12.5')).toBe('-12.5');
    expect(d.parse('123456789012345678901234567890.123456789')).toBe('123456789012345678901234567890.123456789');
    expect(d.parse(42)).toBe('42');
  });

  it.each([0.1, Number.NaN, Number.POSITIVE_INFINITY, '1e5', '1.', '.5', '', ' 1', '1,5', null, {}, 2 ** 60])(
    'refuses %j',
    (input) => {
      expect(decimalString().safeParse(input).success).toBe(false);
    },
  );

  it('enforces precision and scale like numeric(p, s)', () => {
    const money = decimalString({ precision: 5, scale: 2 });
    expect(money.parse('999.99')).toBe('999.99');
    expect(money.safeParse('1000.00').success).toBe(false);
    expect(money.safeParse('1.234').success).toBe(false);
    expect(() => decimalString({ precision: 0 })).toThrow(InvalidOptionError);
    expect(() => decimalString({ precision: 2, scale: 3 })).toThrow(/scale/);
  });
});

describe('bigintId', () => {
  it('turns strings, safe integers and bigints into bigint within the int8 range', () => {
    const id = bigintId();
    expect(id.parse('9223372036854775807')).toBe(9223372036854775807n);
    expect(id.parse(42)).toBe(42n);
    expect(id.parse(7n)).toBe(7n);
  });

  it.each(['9223372036854775808', '0', '-1', '1.5', '1e3', '', ' 1', 2 ** 60, 1.5, null, 'abc'])(
    'refuses %j',
    (input) => {
      expect(bigintId().safeParse(input).success).toBe(false);
    },
  );

  it('honours min', () => {
    expect(bigintId({ min: 0n }).parse('0')).toBe(0n);
    expect(bigintId({ min: -5n }).parse('-5')).toBe(-5n);
    expect(() => bigintId({ min: 1 as never })).toThrow(InvalidOptionError);
  });
});

describe('coercions inside validateBatch', () => {
  it('rejects the record whose field fails, with the zod path', async () => {
    const schema = z.object({ id: bigintId(), at: isoTimestamp(), amount: decimalString({ scale: 2 }) });
    const result = await validateBatch(
      [
        { id: '1', at: '2026-03-01T10:00:00Z', amount: '1.50' },
        { id: '2', at: '2026-03-01T10:00:00', amount: '1.50' },
      ],
      schema,
    );
    expect(result.valid).toEqual([{ id: 1n, at: new Date('2026-03-01T10:00:00Z'), amount: '1.50' }]);
    expect(result.rejected[0]?.issues[0]).toMatchObject({ path: ['at'], code: 'custom' });
  });
});
