import { describe, expect, it } from 'vitest';
import { DuplicateWatch } from './batch.ts';

describe('DuplicateWatch', () => {
  const rows = ['10', '9', '11', '2', '9', 'b', 'a'].map((id) => ({ id }));
  const keyOf = (row: Record<string, unknown>) => String(row.id);

  it('accepts increasing keys without indexing them, then finds repeats after a step back', () => {
    const watch = new DuplicateWatch(keyOf);
    // "9" < "10" < "11" in (length, text) order is not how they arrive: the second key steps back.
    expect(rows.map((row, i) => watch.check(row.id, i, rows))).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
    ]);
  });

  it('never reports distinct increasing keys', () => {
    const watch = new DuplicateWatch(keyOf);
    const increasing = Array.from({ length: 1000 }, (_, i) => ({ id: String(i) }));
    expect(increasing.some((row, i) => watch.check(row.id, i, increasing))).toBe(false);
    expect(watch.check('999', 1000, increasing)).toBe(true);
  });
});
