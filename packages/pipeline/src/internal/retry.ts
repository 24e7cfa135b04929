import { type Classifier, type Clock, classify, ensureError, InvalidOptionError } from '@pipewright/core';
import type { RetryPolicyLike, StepRetryOptions } from '../types.ts';

export interface AttemptLoopHooks {
  onRetry(attempt: number, delayMs: number, error: Error, reason: string): void;
}

/** Resolved step retry: either the built-in loop or a user policy. */
export type ResolvedRetry =
  | { kind: 'none' }
  | {
      kind: 'builtin';
      maxAttempts: number;
      baseDelayMs: number;
      maxDelayMs: number;
      classify: Classifier;
      jitter: boolean;
    }
  | { kind: 'policy'; policy: RetryPolicyLike };

export function resolveRetry(option: boolean | StepRetryOptions | RetryPolicyLike | undefined): ResolvedRetry {
  if (option === undefined || option === false) return { kind: 'none' };
  if (option === true) option = {};
  if (typeof option !== 'object' || option === null) {
    throw new InvalidOptionError('retry', 'a boolean, retry options or a policy with execute()', option);
  }
  if (typeof (option as RetryPolicyLike).execute === 'function') {
    return { kind: 'policy', policy: option as RetryPolicyLike };
  }
  const o = option as StepRetryOptions;
  const maxAttempts = o.maxAttempts ?? 3;
  const baseDelayMs = o.baseDelayMs ?? 200;
  const maxDelayMs = o.maxDelayMs ?? 30_000;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new InvalidOptionError('retry.maxAttempts', 'a positive integer', maxAttempts);
  }
  if (!(Number.isFinite(baseDelayMs) && baseDelayMs >= 0)) {
    throw new InvalidOptionError('retry.baseDelayMs', 'a finite number >= 0', baseDelayMs);
  }
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= baseDelayMs)) {
    throw new InvalidOptionError('retry.maxDelayMs', `a finite number >= baseDelayMs (${baseDelayMs})`, maxDelayMs);
  }
  return {
    kind: 'builtin',
    maxAttempts,
    baseDelayMs,
    maxDelayMs,
    classify: o.classify ?? classify,
    jitter: o.jitter ?? true,
  };
}

/**
 * The built-in attempt loop: retries only `transient` failures, waits `Retry-After` when the server gave one
 * (capped at `maxDelayMs`), otherwise exponential backoff with optional full jitter, on the injected clock.
 */
export async function attemptLoop<T>(
  retry: Extract<ResolvedRetry, { kind: 'builtin' }>,
  clock: Clock,
  signal: AbortSignal | undefined,
  run: (attempt: number) => Promise<T>,
  hooks: AttemptLoopHooks,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (thrown) {
      const error = ensureError(thrown);
      if (attempt >= retry.maxAttempts || signal?.aborted) throw error;
      const { kind, reason, retryAfterMs } = retry.classify(error);
      if (kind !== 'transient') throw error;
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      const delayMs =
        retryAfterMs !== undefined
          ? Math.min(retry.maxDelayMs, Math.max(retryAfterMs, 0))
          : retry.jitter
            ? Math.round(Math.random() * backoff)
            : backoff;
      hooks.onRetry(attempt, delayMs, error, reason);
      await clock.sleep(delayMs, signal);
    }
  }
}
