import { describe, expect, it } from 'vitest';
import { noopLogger } from './logger.ts';

describe('noopLogger', () => {
  it('accepts every call and returns itself as a child', () => {
    expect(noopLogger.child({ runId: 'r1' })).toBe(noopLogger);
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      expect(noopLogger[level]({ a: 1 }, 'message')).toBeUndefined();
    }
  });
});
