import type { Clock, Logger } from '@pipewright/core';
import { ensureError, InvalidOptionError, noopLogger, systemClock } from '@pipewright/core';
import { LineageDeliveryError, LineageDroppedError } from './errors.ts';
import type { LineageEvent } from './events.ts';
import { Ring } from './internal/ring.ts';
import { noopTransport } from './transports/simple.ts';
import type { LineageTransport } from './transports/types.ts';

/** Counters of an emitter, cheap to read (e.g. from a metrics collector on every scrape). */
export interface EmitterStats {
  /** Events accepted by `emit()`. */
  emitted: number;
  /** Events the transport confirmed. */
  delivered: number;
  /** Events the transport gave up on (reported to `onError`). */
  failed: number;
  /** Events discarded: buffer overflow, or emitted after/left pending at `close()`. */
  dropped: number;
  /** Waiting in the buffer. */
  pending: number;
  /** Handed to the transport, not yet settled. */
  inFlight: number;
}

export interface FlushResult {
  /** True when everything emitted before the call was settled (delivered or failed) in time. */
  complete: boolean;
  /** Events still buffered or in flight when the call returned. */
  pending: number;
}

export interface EmitterOptions {
  /** @default noopTransport() — lineage is off until configured */
  transport?: LineageTransport;
  /** Buffer size in events. @default 10000 */
  capacity?: number;
  /** Which event to discard when the buffer is full. @default 'drop-oldest' */
  overflow?: 'drop-oldest' | 'drop-newest';
  /** Events handed to the transport at once. @default 100 */
  maxBatch?: number;
  /**
   * Told about every delivery failure (with the events concerned) and every drop. It must not throw (if it does,
   * the error is logged and ignored). @default a logger warning, plus one process warning per emitter
   */
  onError?: (error: Error, events: readonly LineageEvent[]) => void;
  /** @default noopLogger */
  logger?: Logger;
  /** Times flush/close deadlines. @default systemClock */
  clock?: Clock;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(name, 'a positive integer', value);
  return value;
}

/**
 * Takes events on the job's path in O(1) — a push into a bounded buffer — and delivers them in the background,
 * batch after batch, in emission order. Never throws into the job and never waits for the network.
 */
export class LineageEmitter {
  readonly #transport: LineageTransport;
  readonly #ring: Ring<LineageEvent>;
  readonly #dropOldest: boolean;
  readonly #maxBatch: number;
  readonly #onError: (error: Error, events: readonly LineageEvent[]) => void;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  #emitted = 0;
  #delivered = 0;
  #failed = 0;
  #dropped = 0;
  #unreportedDrops = 0;
  #inFlight = 0;
  #draining = false;
  #closed = false;
  #closing: Promise<FlushResult> | undefined;
  #idleWaiters: (() => void)[] = [];
  #warned = false;

  constructor(options: EmitterOptions = {}) {
    this.#transport = options.transport ?? noopTransport();
    if (typeof this.#transport?.send !== 'function') {
      throw new InvalidOptionError('transport', 'a transport with a send() method', options.transport);
    }
    this.#ring = new Ring(positiveInt('capacity', options.capacity, 10_000));
    const overflow = options.overflow ?? 'drop-oldest';
    if (overflow !== 'drop-oldest' && overflow !== 'drop-newest') {
      throw new InvalidOptionError('overflow', "'drop-oldest' or 'drop-newest'", overflow);
    }
    this.#dropOldest = overflow === 'drop-oldest';
    this.#maxBatch = positiveInt('maxBatch', options.maxBatch, 100);
    this.#logger = options.logger ?? noopLogger;
    this.#clock = options.clock ?? systemClock;
    this.#onError = options.onError ?? ((error, events) => this.#defaultOnError(error, events));
  }

  /** Queues an event for delivery. Returns false when it was dropped (buffer full with drop-newest, or closed). */
  emit(event: LineageEvent): boolean {
    if (this.#closed) {
      this.#dropped++;
      this.#report(new LineageDroppedError(1, 'closed'), [event]);
      return false;
    }
    this.#emitted++;
    let accepted = true;
    if (!this.#ring.push(event)) {
      this.#dropped++;
      this.#unreportedDrops++;
      if (this.#dropOldest) {
        this.#ring.shift();
        this.#ring.push(event);
      } else {
        accepted = false;
      }
    }
    if (!this.#draining) {
      this.#draining = true;
      setImmediate(this.#drainLoop);
    }
    return accepted;
  }

  /** Current counters. */
  stats(): EmitterStats {
    return {
      emitted: this.#emitted,
      delivered: this.#delivered,
      failed: this.#failed,
      dropped: this.#dropped,
      pending: this.#ring.size,
      inFlight: this.#inFlight,
    };
  }

  /** Waits until the buffer is empty and nothing is in flight, or `timeoutMs` passed. Never rejects. */
  flush(timeoutMs = 5000): Promise<FlushResult> {
    if (!this.#busy()) return Promise.resolve({ complete: true, pending: 0 });
    return new Promise<FlushResult>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        cancel();
        resolve({ complete: !this.#busy(), pending: this.#ring.size + this.#inFlight });
      };
      const cancel = this.#clock.setTimer(finish, timeoutMs);
      this.#idleWaiters.push(finish);
    });
  }

  /**
   * Stops accepting events, delivers what is pending within `timeoutMs`, then aborts what is left (counted as
   * dropped and reported) and closes the transport. Idempotent. Never rejects.
   */
  close(timeoutMs = 5000): Promise<FlushResult> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<FlushResult> {
    this.#closed = true;
    const result = await this.flush(timeoutMs);
    if (!result.complete) {
      this.#abort.abort(new LineageDroppedError(result.pending, 'closed'));
      const left = this.#ring.clear();
      if (left.length > 0) {
        this.#dropped += left.length;
        this.#report(new LineageDroppedError(left.length, 'closed'), left);
      }
      if (this.#inFlight > 0) await this.flush(1000);
    }
    try {
      await this.#transport.close?.();
    } catch (error) {
      this.#report(ensureError(error), []);
    }
    return result;
  }

  #busy(): boolean {
    return this.#ring.size > 0 || this.#inFlight > 0 || this.#draining;
  }

  readonly #drainLoop = (): void => {
    this.#drain().catch((error: unknown) => this.#report(ensureError(error), []));
  };

  async #drain(): Promise<void> {
    try {
      while (this.#ring.size > 0 && !this.#abort.signal.aborted) {
        if (this.#unreportedDrops > 0) {
          const n = this.#unreportedDrops;
          this.#unreportedDrops = 0;
          this.#report(new LineageDroppedError(n, 'overflow'), []);
        }
        const batch = this.#ring.take(this.#maxBatch);
        this.#inFlight = batch.length;
        try {
          await this.#transport.send(batch, this.#abort.signal);
          this.#delivered += batch.length;
        } catch (error) {
          const failed = error instanceof LineageDeliveryError ? (error.failedEvents as LineageEvent[]) : batch;
          this.#failed += failed.length;
          this.#delivered += batch.length - failed.length;
          this.#report(ensureError(error), failed);
        } finally {
          this.#inFlight = 0;
        }
      }
      if (this.#unreportedDrops > 0) {
        const n = this.#unreportedDrops;
        this.#unreportedDrops = 0;
        this.#report(new LineageDroppedError(n, 'overflow'), []);
      }
    } finally {
      this.#draining = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Hands a problem to `onError` (used by runs for misuse); never throws. */
  reportError(error: Error, events: readonly LineageEvent[] = []): void {
    this.#report(error, events);
  }

  #report(error: Error, events: readonly LineageEvent[]): void {
    try {
      this.#onError(error, events);
    } catch (handlerError) {
      this.#logger.error({ err: handlerError }, 'lineage onError handler threw');
    }
  }

  #defaultOnError(error: Error, events: readonly LineageEvent[]): void {
    this.#logger.warn({ err: error, events: events.length }, 'lineage delivery problem');
    if (!this.#warned) {
      this.#warned = true;
      process.emitWarning(`${error.message} (further lineage problems are counted in stats())`, {
        code: (error as { code?: string }).code ?? 'PW_LINEAGE',
      });
    }
  }
}

/** Creates an emitter. See `EmitterOptions` for the defaults. */
export function createEmitter(options?: EmitterOptions): LineageEmitter {
  return new LineageEmitter(options);
}
