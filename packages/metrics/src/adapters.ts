import type { ErrorKind } from '@pipewright/core';

/**
 * A retry event, as retry libraries report it (`@pipewright/retry`, cockatiel's `onRetry`, p-retry's
 * `onFailedAttempt`): every field is optional, the event itself is only counted.
 */
export interface RetryEventLike {
  readonly attempt?: number;
  readonly error?: unknown;
  readonly kind?: ErrorKind;
}

/** Anything with an `onRetry(listener)` subscription returning a disposer (a function or `{ dispose() }`). */
export interface RetrySourceLike {
  // biome-ignore lint/suspicious/noExplicitAny: listeners of any event shape are accepted.
  onRetry(listener: (event: any) => void): (() => void) | { dispose(): void };
}

/** A count of dead letters: a number, an array of entries, or a result object with `count`. */
export type DeadLetterResultLike = number | { readonly length: number } | { readonly count: number };

/** A validation result: valid and invalid records, as arrays or counts. */
export interface QualityResultLike {
  readonly valid: number | { readonly length: number };
  readonly invalid: number | { readonly length: number };
}

/** Reads a count from a number, an array or `{ count }`. */
export function countOf(value: DeadLetterResultLike): number {
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object') {
    if ('count' in value && typeof value.count === 'number') return value.count;
    if ('length' in value && typeof value.length === 'number') return value.length;
  }
  return Number.NaN;
}
