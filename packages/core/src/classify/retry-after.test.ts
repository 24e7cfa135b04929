import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['5', 5000],
    ['  12 ', 12_000],
    ['1.5', 1500],
    [3, 3000],
    ['Sat, 21 Nov 2026 12:01:00 GMT', 60_000],
    ['Sat, 21 Nov 2026 11:59:00 GMT', 0],
    ['Saturday, 21-Nov-26 12:00:10 GMT', 10_000],
  ])('%j → %i ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([['-1'], [''], ['soon'], [Number.NaN], [-2], [null], [undefined], [{}], ['1e3']])(
    '%j → undefined',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );
});
