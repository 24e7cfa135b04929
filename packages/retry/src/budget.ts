import type { Clock } from '@pipewright/core';
import { InvalidOptionError, systemClock } from '@pipewright/core';

/** Options of `RetryBudget`. Defaults follow the AWS SDK's standard retry quota. */
export interface RetryBudgetOptions {
  /** Bucket size; the bucket starts full. @default 500 */
  maxTokens?: number | undefined;
  /** Tokens one retry costs. @default 5 */
  retryCost?: number | undefined;
  /** Tokens a successful call puts back (up to `maxTokens`). @default 1 */
  successRefund?: number | undefined;
  /** Tokens added per second of time, so a quiet dependency recovers without traffic. @default 0 */
  refillPerSecond?: number | undefined;
  /** Time source for `refillPerSecond`. @default systemClock */
  clock?: Clock | undefined;
}

function tokenOption(name: string, value: unknown, fallback: number, positive: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new InvalidOptionError(name, positive ? 'a positive finite number' : 'a non-negative finite number', value);
  }
  return value;
}

/**
 * A token bucket shared by every call to one dependency (one per database or API). Each retry takes `retryCost`
 * tokens and each success gives back `successRefund`, so when the dependency is down, retries stop after
 * `maxTokens / retryCost` of them instead of multiplying the load: a retry storm is capped.
 */
export class RetryBudget {
  readonly maxTokens: number;
  readonly retryCost: number;
  readonly successRefund: number;
  readonly refillPerSecond: number;
  readonly #clock: Clock;
  #tokens: number;
  #lastRefill: number;

  constructor(options: RetryBudgetOptions = {}) {
    this.maxTokens = tokenOption('maxTokens', options.maxTokens, 500, true);
    this.retryCost = tokenOption('retryCost', options.retryCost, 5, false);
    this.successRefund = tokenOption('successRefund', options.successRefund, 1, false);
    this.refillPerSecond = tokenOption('refillPerSecond', options.refillPerSecond, 0, false);
    this.#clock = options.clock ?? systemClock;
    this.#tokens = this.maxTokens;
    this.#lastRefill = this.refillPerSecond > 0 ? this.#clock.now() : 0;
  }

  /** Tokens available now. */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes the cost of one retry if the bucket holds it; `false` means "do not retry". */
  tryAcquire(): boolean {
    this.#refill();
    if (this.#tokens < this.retryCost) return false;
    this.#tokens -= this.retryCost;
    return true;
  }

  /** Called by the retry policy on every successful call. */
  recordSuccess(): void {
    const tokens = this.#tokens + this.successRefund;
    this.#tokens = tokens > this.maxTokens ? this.maxTokens : tokens;
  }

  #refill(): void {
    if (this.refillPerSecond === 0) return;
    const now = this.#clock.now();
    const earned = ((now - this.#lastRefill) / 1000) * this.refillPerSecond;
    this.#lastRefill = now;
    if (earned > 0) this.#tokens = Math.min(this.maxTokens, this.#tokens + earned);
  }
}
