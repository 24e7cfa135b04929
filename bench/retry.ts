// `npm run bench -- retry`: success-path overhead per call of withRetry versus a bare `await fn()`, p-retry called
// directly and cockatiel's retry policy, side by side; plus bytes allocated per call. BENCH_SCALE = calls per case
// per round (default 1,000,000). `withretry_breaker_budget` passes `{ budget, breaker }` options;
// `withretry_wrap_breaker_budget` composes the same with `wrap(retryPolicy, breaker)`.

import { loadavg } from 'node:os';
import { CircuitBreaker, RetryBudget, RetryPolicy, withRetry, wrap } from '@pipewright/retry';
import { retry as cockatielRetry, ExponentialBackoff, handleAll } from 'cockatiel';
import pRetry from 'p-retry';
import type { BenchCase } from './lib/harness.ts';
import { benchRuns, benchScale, interleave, median, report } from './lib/harness.ts';

const scale = benchScale(1_000_000);
const runs = benchRuns();

const work = async (i: number): Promise<number> => i + 1;

const pRetryOptions = { retries: 4 };
const cockatiel = cockatielRetry(handleAll, { maxAttempts: 4, backoff: new ExponentialBackoff() });
const plain = withRetry(work, { maxAttempts: 5 });
const guarded = withRetry(work, {
  maxAttempts: 5,
  budget: new RetryBudget(),
  breaker: new CircuitBreaker({ consecutiveFailures: 5 }),
});
const composed = withRetry(
  work,
  wrap(new RetryPolicy({ maxAttempts: 5, budget: new RetryBudget() }), new CircuitBreaker({ consecutiveFailures: 5 })),
);

const calls: Record<string, (i: number) => Promise<number>> = {
  bare: (i) => work(i),
  p_retry: (i) => pRetry(() => work(i), pRetryOptions),
  cockatiel: (i) => cockatiel.execute(() => work(i)),
  withretry: (i) => plain(i),
  withretry_breaker_budget: (i) => guarded(i),
  withretry_wrap_breaker_budget: (i) => composed(i),
};

const cases: BenchCase[] = Object.entries(calls).map(([name, call]) => ({
  name,
  run: async () => {
    let sum = 0;
    for (let i = 0; i < scale; i++) sum += await call(i);
    if (sum === 0) throw new Error('nothing ran');
    return scale;
  },
}));

/** Bytes allocated per call: heap growth over a batch small enough that no scavenge runs, median of samples. */
async function bytesPerCall(call: (i: number) => Promise<number>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  const batch = 2_000;
  const samples: number[] = [];
  for (let i = 0; i < batch * 5; i++) await call(i); // warm up (JIT)
  for (let sample = 0; sample < 15; sample++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < batch; i++) await call(i);
    const grown = process.memoryUsage().heapUsed - before;
    if (grown > 0) samples.push(grown / batch);
  }
  return samples.length > 0 ? median(samples) : Number.NaN;
}

const results = await interleave(cases, runs);
for (const [name, call] of Object.entries(calls)) {
  const result = results[name];
  if (result) result.bytes_per_call = await bytesPerCall(call);
}
const overhead = (name: string): number => results[name]!.ns_per_op! - results.bare!.ns_per_op!;
for (const name of Object.keys(calls)) if (name !== 'bare') results[name]!.overhead_ns = overhead(name);
report({
  name: 'retry',
  scale,
  runs,
  // The machines are shared: record how busy this one was, since absolute times scale with it.
  env: { loadavg_1m: Number(loadavg()[0]!.toFixed(2)) },
  cases: results,
  ratios: {
    withretry_overhead_ns: overhead('withretry'),
    withretry_overhead_vs_cockatiel: overhead('withretry') / overhead('cockatiel'),
    withretry_overhead_vs_pretry: overhead('withretry') / overhead('p_retry'),
    withretry_breaker_budget_overhead_ns: overhead('withretry_breaker_budget'),
    withretry_breaker_budget_overhead_vs_cockatiel: overhead('withretry_breaker_budget') / overhead('cockatiel'),
  },
});
