import type { ErrorKind } from '../errors.ts';

/** What `classify()` decided about an error. */
export interface Classification {
  kind: ErrorKind;
  /** A short human reason, e.g. `postgres 40P01 deadlock_detected`. */
  reason: string;
  /** A server-provided hint (HTTP `Retry-After`) of how long to wait before retrying. */
  retryAfterMs?: number;
}

/** A rule inspects one error (not its causes) and returns a classification, or `undefined` to pass. */
export type ClassificationRule = (error: unknown, context: RuleContext) => Classification | undefined;

export interface RuleContext {
  /** Current time in epoch milliseconds, for HTTP-date `Retry-After` values. */
  nowMs: number;
}
