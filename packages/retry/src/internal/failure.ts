/**
 * What an attempt hands to the p-retry loop when it failed: the thrown value or the rejected returned value. p-retry
 * turns non-Error throws into TypeErrors and never retries TypeErrors, so every failure travels in this wrapper
 * and our own handler, not p-retry's, decides what is retried.
 */
export class AttemptFailure extends Error {
  readonly payload: unknown;
  /** True when `payload` is a value the function returned and `retryOn` rejected. */
  readonly isValue: boolean;

  constructor(payload: unknown, isValue: boolean) {
    super('attempt failed');
    this.payload = payload;
    this.isValue = isValue;
  }
}
