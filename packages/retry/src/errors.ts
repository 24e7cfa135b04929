import { describeValue, PipewrightError } from '@pipewright/core';

/** Why a retry loop stopped retrying a failure it would otherwise have retried. */
export type GiveUpReason = 'attempts' | 'deadline';

/** A retryable failure kept failing until `maxAttempts` or `maxElapsed` ran out; the last failure is `cause`. */
export class RetryExhaustedError extends PipewrightError {
  /** Attempts made, including the first. */
  readonly attempts: number;
  /** Milliseconds from the first attempt's start to giving up. */
  readonly elapsed: number;
  /** `attempts` when `maxAttempts` ran out, `deadline` when the next sleep would have crossed `maxElapsed`. */
  readonly reason: GiveUpReason;

  constructor(attempts: number, elapsed: number, reason: GiveUpReason, limit: number, lastError: unknown) {
    const why =
      reason === 'attempts' ? `maxAttempts ${limit} reached` : `the next retry would start past maxElapsed ${limit} ms`;
    super(
      'PW_RETRY_EXHAUSTED',
      `Gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${Math.round(elapsed)} ms (${why}); last failure: ${describeValue(lastError)}`,
      { cause: lastError },
    );
    this.attempts = attempts;
    this.elapsed = elapsed;
    this.reason = reason;
  }
}

/** The retry budget shared by many calls had too few tokens left, so this failure was not retried. */
export class RetryBudgetExhaustedError extends PipewrightError {
  /** Attempts made before the budget refused a retry. */
  readonly attempts: number;
  /** Tokens left in the budget when it refused. */
  readonly tokens: number;
  /** Tokens a retry costs. */
  readonly cost: number;

  constructor(attempts: number, tokens: number, cost: number, lastError: unknown) {
    super(
      'PW_RETRY_BUDGET_EXHAUSTED',
      `Retry budget exhausted after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${formatTokens(tokens)} token(s) left, a retry costs ${cost}; last failure: ${describeValue(lastError)}`,
      { cause: lastError },
    );
    this.attempts = attempts;
    this.tokens = tokens;
    this.cost = cost;
  }
}

/** The circuit is open (or half-open with every probe slot taken): the call was refused without running. */
export class BrokenCircuitError extends PipewrightError {
  /** Milliseconds until the circuit lets a probe through (0 when half-open and busy). */
  readonly retryAfterMs: number;
  /** The breaker state that refused the call. */
  readonly state: 'open' | 'half-open';

  constructor(state: 'open' | 'half-open', retryAfterMs: number, lastError: unknown) {
    super(
      'PW_BROKEN_CIRCUIT',
      state === 'open'
        ? `Circuit is open: calls are refused for another ${Math.ceil(retryAfterMs)} ms`
        : 'Circuit is half-open and every probe slot is taken: call refused',
      // Fatal: an open circuit means "stop hammering this dependency", so nothing should retry it straight away.
      { cause: lastError, kind: 'fatal' },
    );
    this.retryAfterMs = retryAfterMs;
    this.state = state;
  }
}

/** An attempt ran longer than its `timeout`; its signal was aborted with this error. Transient: retried. */
export class AttemptTimeoutError extends PipewrightError {
  /** The timeout that fired, in milliseconds. */
  readonly timeout: number;
  /** The attempt that timed out (1-based). */
  readonly attempt: number;

  constructor(timeout: number, attempt: number) {
    super('PW_ATTEMPT_TIMEOUT', `Attempt ${attempt} timed out after ${timeout} ms`, { kind: 'transient' });
    this.timeout = timeout;
    this.attempt = attempt;
  }
}

function formatTokens(tokens: number): string {
  return Number.isInteger(tokens) ? String(tokens) : tokens.toFixed(2);
}
