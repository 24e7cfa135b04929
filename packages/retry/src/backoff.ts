import { InvalidOptionError } from '@pipewright/core';

/** What a custom backoff function is told about the retry it is timing. */
export interface BackoffInfo {
  /** The attempt that just failed (1-based): the first retry is scheduled with `attempt` 1. */
  readonly attempt: number;
  /** The previous delay (ms), `initialDelay` before the first retry. */
  readonly previousDelay: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  /** The policy's random source, uniform in [0, 1). */
  readonly random: () => number;
  /** The failure being retried. */
  readonly error: unknown;
}

/** A built-in strategy, or a function returning the delay in ms (clamped to [0, maxDelay]). */
export type Backoff = 'exponential' | 'linear' | 'constant' | ((info: BackoffInfo) => number);

/**
 * Jitter for `exponential` backoff (see the AWS architecture blog "Exponential Backoff And Jitter"):
 * `full` = random(0, base); `equal` = base/2 + random(0, base/2); `decorrelated` = random(initialDelay, previous*3);
 * `none` = base. `base` = min(maxDelay, initialDelay * factor^(attempt-1)).
 */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

/** The normalised backoff settings a policy computes delays from. */
export interface BackoffSettings {
  readonly backoff: Backoff;
  readonly jitter: Jitter;
  readonly factor: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly random: () => number;
}

/**
 * The delay before the retry that follows failed attempt `attempt`, always within [0, maxDelay].
 * Exported for tests and for users who want to preview a schedule.
 */
export function computeDelay(
  settings: BackoffSettings,
  attempt: number,
  previousDelay: number,
  error: unknown,
): number {
  const { backoff, initialDelay, maxDelay, random } = settings;
  switch (backoff) {
    case 'constant':
      return Math.min(initialDelay, maxDelay);
    case 'linear':
      return Math.min(initialDelay * attempt, maxDelay);
    case 'exponential': {
      if (settings.jitter === 'decorrelated') {
        // Grows from the previous delay rather than the attempt number, so concurrent callers spread out.
        const upper = Math.max(initialDelay, previousDelay * 3);
        return Math.min(maxDelay, initialDelay + random() * (upper - initialDelay));
      }
      const base = Math.min(maxDelay, initialDelay * settings.factor ** (attempt - 1));
      if (settings.jitter === 'full') return random() * base;
      if (settings.jitter === 'equal') return base / 2 + (random() * base) / 2;
      return base;
    }
    default: {
      const delay = backoff({ attempt, previousDelay, initialDelay, maxDelay, random, error });
      if (typeof delay !== 'number' || Number.isNaN(delay) || delay < 0) {
        throw new InvalidOptionError('backoff', 'a function returning a non-negative number of milliseconds', delay);
      }
      return Math.min(delay, maxDelay);
    }
  }
}
