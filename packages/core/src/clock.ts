/** Time as the SDK sees it. Inject a `FakeClock` in tests instead of sleeping. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` after `ms`; the returned function cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Sleeps on `clock`, interrupted at once by `signal` (every `Clock.sleep` honours its signal). On `systemClock`
 * the pending sleep keeps the process alive: a job waiting out a retry backoff must not exit halfway.
 */
export function abortableSleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return clock.sleep(ms, signal);
}

function sleepOn(setTimer: Clock['setTimer'], ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      cancel();
      reject(abortReason(signal as AbortSignal));
    };
    const cancel = setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function nodeTimer(fn: () => void, ms: number, keepAlive: boolean): () => void {
  const handle = setTimeout(fn, Math.max(0, ms));
  if (!keepAlive) handle.unref?.();
  return () => clearTimeout(handle);
}

/**
 * The real clock: `Date.now()` and Node timers. A `sleep` is work in progress (a retry backoff), so it keeps the
 * process alive; a `setTimer` is background work (a heartbeat, a flush) and does not.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return sleepOn((fn, delay) => nodeTimer(fn, delay, true), ms, signal);
  },
  setTimer(fn, ms) {
    return nodeTimer(fn, ms, false);
  },
};

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in time order during `advance()`, and pending promise
 * callbacks run between timers, so code awaiting `sleep()` observes time exactly as scheduled.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: PendingTimer[] = [];

  constructor(start: number | Date = 0) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this.setTimer.bind(this), ms, signal);
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return () => {
      const index = this.#timers.indexOf(timer);
      if (index >= 0) this.#timers.splice(index, 1);
    };
  }

  /** Number of timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = next.at;
      next.fn();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Fires timers until none are left (bounded, to catch runaway loops), returning how many fired. */
  async runAll(maxTimers = 10_000): Promise<number> {
    let fired = 0;
    await flushMicrotasks();
    while (this.#timers.length > 0) {
      if (fired++ >= maxTimers) throw new Error(`FakeClock.runAll: more than ${maxTimers} timers fired`);
      const next = this.#nextDue(Number.POSITIVE_INFINITY) as PendingTimer;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await flushMicrotasks();
    }
    return fired;
  }

  /** Sets the time without firing timers (for tests of wall-clock jumps). */
  set(time: number | Date): void {
    this.#now = typeof time === 'number' ? time : time.getTime();
  }

  #nextDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.at <= limit && (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq))) {
        best = timer;
      }
    }
    return best;
  }
}

// Captured at load so that test suites which also fake global timers cannot stall the fake clock.
const realSetImmediate = globalThis.setImmediate;

/** Lets every queued promise reaction run, however long the chain of awaits. */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}
