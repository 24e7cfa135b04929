import type { FakeClock } from '@pipewright/core';

/**
 * Drives a FakeClock while `promise` runs code that mixes timers with real I/O (database round trips): whenever
 * a timer is pending it advances by `tickMs`; otherwise it yields to the event loop so the I/O can complete.
 * Resolves or rejects like `promise`.
 */
export async function driveClock<T>(clock: FakeClock, promise: Promise<T>, tickMs = 1000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  while (!settled) {
    if (clock.pendingTimers > 0) await clock.advance(tickMs);
    else await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return watched;
}
