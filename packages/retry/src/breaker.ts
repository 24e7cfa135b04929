import type { Classification, Classifier, Clock, Logger } from '@pipewright/core';
import { classify as coreClassify, InvalidOptionError, systemClock } from '@pipewright/core';
import { BrokenCircuitError } from './errors.ts';
import { neverAborted } from './internal/attempt.ts';
import { Listeners } from './internal/listeners.ts';
import { SlidingWindow } from './internal/window.ts';
import type { AttemptContext, BreakerEvent, CircuitState, Disposer, ExecuteOptions, Policy } from './types.ts';

/** Opens when the failure ratio over a sliding window reaches `threshold`, once `minThroughput` calls were seen. */
export interface FailureRatioOptions {
  /** Failure ratio in (0, 1] that opens the circuit. */
  threshold: number;
  /** Length of the sliding window, ms. @default 60000 */
  windowMs?: number | undefined;
  /** Calls the window must hold before the ratio counts (so 1 failure in 1 call does not open it). @default 10 */
  minThroughput?: number | undefined;
  /** Slots the window is divided into; more is smoother and slightly slower. @default 10 */
  buckets?: number | undefined;
}

/** Options of `CircuitBreaker`. Give `consecutiveFailures` or `failureRatio` (default: 5 consecutive failures). */
export interface CircuitBreakerOptions {
  /** Opens after this many failures in a row. @default 5 (when `failureRatio` is not given) */
  consecutiveFailures?: number | undefined;
  /** Opens on a failure ratio over a sliding window instead. */
  failureRatio?: FailureRatioOptions | undefined;
  /** Cool-down before an open circuit admits probes, ms. @default 30000 */
  halfOpenAfter?: number | undefined;
  /** Probe calls admitted at once while half-open. @default 1 */
  halfOpenProbes?: number | undefined;
  /** Successful probes needed to close the circuit again. @default 1 */
  successesToClose?: number | undefined;
  /**
   * Which errors count against the dependency. @default every error except `record` ones (a bad row is not the
   * dependency's fault) and cancellations by the caller's own signal
   */
  isFailure?: ((error: unknown, classification: Classification) => boolean) | undefined;
  /** Classification handed to `isFailure`. @default core `classify` */
  classify?: Classifier | undefined;
  /** Time source for the cool-down and the window. @default systemClock */
  clock?: Clock | undefined;
  /** Receives warnings such as a throwing event listener. @default none */
  logger?: Logger | undefined;
}

/** A breaker's state as plain JSON, from `toJSON()`, for `restore()` in another process or after a restart. */
export interface CircuitBreakerSnapshot {
  state: CircuitState;
  /** Epoch ms at which the current state was entered. */
  since: number;
  consecutiveFailures: number;
  halfOpenSuccesses: number;
  /** Ratio policy only: `[slot index, successes, failures]` per live slot. */
  window?: [number, number, number][] | undefined;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new InvalidOptionError(name, 'a positive integer', value);
  return value as number;
}

function positiveNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(name, 'a positive finite number', value);
  }
  return value;
}

const STATES = new Set<CircuitState>(['closed', 'open', 'half-open']);

/**
 * A circuit breaker: after too many failures it opens and refuses calls at once with `BrokenCircuitError`; after
 * `halfOpenAfter` it admits `halfOpenProbes` probe calls, closing after `successesToClose` successes and opening
 * again on a probe failure. Share one per dependency.
 */
export class CircuitBreaker implements Policy {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #ratio: number;
  readonly #minThroughput: number;
  readonly #window: SlidingWindow | undefined;
  readonly #halfOpenAfter: number;
  readonly #probes: number;
  readonly #toClose: number;
  readonly #isFailure: (error: unknown, classification: Classification) => boolean;
  readonly #classify: Classifier;
  readonly #onBreak: Listeners<BreakerEvent>;
  readonly #onHalfOpen: Listeners<BreakerEvent>;
  readonly #onReset: Listeners<BreakerEvent>;
  #state: CircuitState = 'closed';
  #since: number;
  #generation = 0;
  #consecutive = 0;
  #inflightProbes = 0;
  #probeSuccesses = 0;
  #lastError: unknown;

  constructor(options: CircuitBreakerOptions = {}) {
    if (options.consecutiveFailures !== undefined && options.failureRatio !== undefined) {
      throw new InvalidOptionError(
        'failureRatio',
        'absent when consecutiveFailures is given (choose one policy)',
        options.failureRatio,
      );
    }
    this.#clock = options.clock ?? systemClock;
    const ratio = options.failureRatio;
    if (ratio === undefined) {
      this.#threshold = positiveInteger('consecutiveFailures', options.consecutiveFailures, 5);
      this.#ratio = 0;
      this.#minThroughput = 0;
    } else {
      if (typeof ratio !== 'object' || ratio === null) throw new InvalidOptionError('failureRatio', 'an object', ratio);
      const threshold = ratio.threshold;
      if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
        throw new InvalidOptionError('failureRatio.threshold', 'a number in (0, 1]', threshold);
      }
      this.#threshold = 0;
      this.#ratio = threshold;
      this.#minThroughput = positiveInteger('failureRatio.minThroughput', ratio.minThroughput, 10);
      this.#window = new SlidingWindow(
        positiveNumber('failureRatio.windowMs', ratio.windowMs, 60_000),
        positiveInteger('failureRatio.buckets', ratio.buckets, 10),
      );
    }
    this.#halfOpenAfter = positiveNumber('halfOpenAfter', options.halfOpenAfter, 30_000);
    this.#probes = positiveInteger('halfOpenProbes', options.halfOpenProbes, 1);
    this.#toClose = positiveInteger('successesToClose', options.successesToClose, 1);
    if (options.isFailure !== undefined && typeof options.isFailure !== 'function') {
      throw new InvalidOptionError('isFailure', 'a function', options.isFailure);
    }
    this.#isFailure = options.isFailure ?? ((_error, classification) => classification.kind !== 'record');
    this.#classify = options.classify ?? coreClassify;
    this.#onBreak = new Listeners('onBreak', options.logger);
    this.#onHalfOpen = new Listeners('onHalfOpen', options.logger);
    this.#onReset = new Listeners('onReset', options.logger);
    this.#since = this.#clock.now();
  }

  /** The current state. An open circuit turns half-open when the next call arrives after the cool-down. */
  get state(): CircuitState {
    return this.#state;
  }

  /** closed/half-open → open. Returns a disposer. */
  onBreak(listener: (event: BreakerEvent) => void): Disposer {
    return this.#onBreak.add(listener);
  }

  /** open → half-open. Returns a disposer. */
  onHalfOpen(listener: (event: BreakerEvent) => void): Disposer {
    return this.#onHalfOpen.add(listener);
  }

  /** half-open → closed. Returns a disposer. */
  onReset(listener: (event: BreakerEvent) => void): Disposer {
    return this.#onReset.add(listener);
  }

  /** Runs `fn` if the circuit admits it, and records the outcome. Refused calls reject with `BrokenCircuitError`. */
  execute<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const signal = options?.signal;
    const attempt = options?.attempt ?? 1;
    let ticket: number | undefined;
    let result: T | PromiseLike<T>;
    try {
      ticket = this.admit(attempt);
      result = fn({ signal: signal ?? neverAborted(), attempt });
    } catch (error) {
      if (ticket !== undefined) this.failure(ticket, error, attempt, signal);
      return Promise.reject(error);
    }
    const admitted = ticket;
    // Plain `.then` rather than an async frame: this sits on the success path of every call.
    return Promise.resolve(result).then(
      (value) => {
        this.success(admitted, attempt);
        return value;
      },
      (error: unknown) => {
        this.failure(admitted, error, attempt, signal);
        throw error;
      },
    );
  }

  /** @internal Admits a call or throws `BrokenCircuitError`; the ticket ties the outcome to the state it entered. */
  admit(attempt: number): number {
    if (this.#state === 'open') {
      const left = this.#since + this.#halfOpenAfter - this.#clock.now();
      if (left > 0) throw new BrokenCircuitError('open', left, this.#lastError);
      this.#transition('half-open', undefined, attempt);
    }
    if (this.#state === 'half-open') {
      if (this.#inflightProbes >= this.#probes) throw new BrokenCircuitError('half-open', 0, this.#lastError);
      this.#inflightProbes++;
      return this.#generation * 2 + 1;
    }
    return this.#generation * 2;
  }

  /** @internal */
  success(ticket: number, attempt: number): void {
    if (ticket >> 1 !== this.#generation) return; // admitted before a transition: stale
    if (this.#state === 'closed') {
      this.#consecutive = 0;
      this.#window?.record(this.#clock.now(), false);
    } else if (ticket & 1) {
      this.#inflightProbes--;
      if (++this.#probeSuccesses >= this.#toClose) this.#transition('closed', undefined, attempt);
    }
  }

  /** @internal */
  failure(ticket: number, error: unknown, attempt: number, signal: AbortSignal | undefined): void {
    if (ticket >> 1 !== this.#generation) return;
    const probe = (ticket & 1) === 1;
    if (probe) this.#inflightProbes--;
    if (signal?.aborted || !this.#isFailure(error, this.#classify(error))) return;
    this.#lastError = error;
    if (probe) {
      this.#transition('open', error, attempt);
    } else if (this.#window === undefined) {
      if (++this.#consecutive >= this.#threshold) this.#transition('open', error, attempt);
    } else {
      const now = this.#clock.now();
      this.#window.record(now, true);
      const { calls, failures } = this.#window.totals(now);
      if (calls >= this.#minThroughput && failures / calls >= this.#ratio) this.#transition('open', error, attempt);
    }
  }

  /** The state as plain JSON; feed it to `restore()` (e.g. after a restart, or in a sibling worker). */
  toJSON(): CircuitBreakerSnapshot {
    const snapshot: CircuitBreakerSnapshot = {
      state: this.#state,
      since: this.#since,
      consecutiveFailures: this.#consecutive,
      halfOpenSuccesses: this.#probeSuccesses,
    };
    if (this.#window) snapshot.window = this.#window.toJSON();
    return snapshot;
  }

  /** Restores a `toJSON()` snapshot. Emits no events; in-flight calls admitted before are ignored. */
  restore(snapshot: CircuitBreakerSnapshot): void {
    if (typeof snapshot !== 'object' || snapshot === null || !STATES.has(snapshot.state)) {
      throw new InvalidOptionError('snapshot', 'a CircuitBreaker toJSON() object', snapshot);
    }
    for (const key of ['since', 'consecutiveFailures', 'halfOpenSuccesses'] as const) {
      if (typeof snapshot[key] !== 'number' || !Number.isFinite(snapshot[key])) {
        throw new InvalidOptionError(`snapshot.${key}`, 'a finite number', snapshot[key]);
      }
    }
    this.#state = snapshot.state;
    this.#since = snapshot.since;
    this.#consecutive = snapshot.consecutiveFailures;
    this.#probeSuccesses = snapshot.halfOpenSuccesses;
    this.#inflightProbes = 0;
    this.#generation++;
    if (this.#window) this.#window.restore(Array.isArray(snapshot.window) ? snapshot.window : []);
  }

  #transition(to: CircuitState, error: unknown, attempt: number): void {
    const from = this.#state;
    const now = this.#clock.now();
    const elapsed = now - this.#since;
    this.#state = to;
    this.#since = now;
    this.#generation++;
    this.#inflightProbes = 0;
    this.#probeSuccesses = 0;
    if (to === 'closed') {
      this.#consecutive = 0;
      this.#window?.reset();
      this.#onReset.emit({ from, to, error: undefined, elapsed, attempt, delay: 0 });
    } else if (to === 'open') {
      this.#onBreak.emit({ from, to, error, elapsed, attempt, delay: this.#halfOpenAfter });
    } else {
      this.#onHalfOpen.emit({ from, to, error: undefined, elapsed, attempt, delay: 0 });
    }
  }
}
