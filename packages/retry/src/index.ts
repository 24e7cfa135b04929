export type { Backoff, BackoffInfo, BackoffSettings, Jitter } from './backoff.ts';
export { computeDelay } from './backoff.ts';
export type { CircuitBreakerOptions, CircuitBreakerSnapshot, FailureRatioOptions } from './breaker.ts';
export { CircuitBreaker } from './breaker.ts';
export type { RetryBudgetOptions } from './budget.ts';
export { RetryBudget } from './budget.ts';
export type { DualMethodDecorator } from './decorators.ts';
export { circuitBreaker, retryable } from './decorators.ts';
export type { GiveUpReason } from './errors.ts';
export { AttemptTimeoutError, BrokenCircuitError, RetryBudgetExhaustedError, RetryExhaustedError } from './errors.ts';
export type { ResolvedRetryOptions, RetryOptions } from './options.ts';
export { RetryPolicy } from './retry.ts';
export type { TimeoutOptions } from './timeout.ts';
export { TimeoutPolicy } from './timeout.ts';
export type {
  AttemptContext,
  BreakerEvent,
  CircuitState,
  Disposer,
  ExecuteOptions,
  Outcome,
  Policy,
  RetryEvent,
} from './types.ts';
export type { WithPolicyOptions } from './with-retry.ts';
export { isPolicy, retry, withRetry } from './with-retry.ts';
export { wrap } from './wrap.ts';
