import type { Clock } from '@pipewright/core';

/** Spaces calls `1000 / ratePerSecond` ms apart on `clock` (the first goes at once); Infinity never waits. */
export function pacer(clock: Clock, ratePerSecond: number, signal?: AbortSignal): () => Promise<void> {
  const interval = Number.isFinite(ratePerSecond) ? 1000 / ratePerSecond : 0;
  let next = Number.NEGATIVE_INFINITY;
  return async () => {
    if (interval === 0) return;
    const now = clock.now();
    if (next > now) await clock.sleep(next - now, signal);
    next = Math.max(next, now) + interval;
  };
}
