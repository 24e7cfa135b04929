import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRowChecksum } from './checksum.ts';

const of = (rows: unknown[]): string => {
  const checksum = createRowChecksum();
  for (const row of rows) checksum.add(row);
  return checksum.digest();
};

describe('createRowChecksum', () => {
  it('is independent of row order and key order, and sensitive to any value', () => {
    const a = { id: 1n, amount: '10.50', at: new Date('2026-11-21T00:00:00Z'), payload: { b: [1, 2], a: null } };
    const b = { id: 2n, amount: '3.00', at: new Date('2026-11-21T01:00:00Z'), payload: {} };
    const aReordered = {
      payload: { a: null, b: [1, 2] },
      at: new Date('2026-11-21T00:00:00Z'),
      amount: '10.50',
      id: 1n,
    };
    expect(of([a, b])).toBe(of([b, aReordered]));
    expect(of([a, b])).toMatch(/^rows:2:[0-9a-f]{16}$/);
    expect(of([a, { ...b, amount: '3.01' }])).not.toBe(of([a, b]));
    expect(of([a])).not.toBe(of([a, a]));
    expect(of([{ id: 1n }])).not.toBe(of([{ id: '1' }]));
    expect(of([])).toBe('rows:0:0000000000000000');
  });

  it('gives the same digest for any permutation and page split (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.bigInt(), name: fc.string(), n: fc.integer() })),
        fc.nat(),
        (rows, seed) => {
          const shuffled = [...rows].sort(
            (x, y) => ((Number(x.id % 7n) + seed) % 3) - ((Number(y.id % 7n) + seed) % 3),
          );
          expect(of(shuffled)).toBe(of(rows));
        },
      ),
    );
  });
});
