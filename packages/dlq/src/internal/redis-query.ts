import type { DeadLetterEntry, DeadLetterFilter, DeadLetterState, StatsDimension, StatsRow } from '../types.ts';

/** Client-side filter for the Redis backend (the same semantics as the PostgreSQL WHERE clause). */
export function matchesFilter(
  entry: DeadLetterEntry,
  filter: DeadLetterFilter,
  states: readonly DeadLetterState[] | undefined,
): boolean {
  if (filter.pipeline !== undefined && entry.pipeline !== filter.pipeline) return false;
  if (filter.step !== undefined && entry.step !== filter.step) return false;
  if (filter.errorCode !== undefined && entry.error.code !== filter.errorCode) return false;
  if (filter.runId !== undefined && entry.runId !== filter.runId) return false;
  if (states !== undefined && !states.includes(entry.state)) return false;
  const last = entry.lastFailedAt.getTime();
  if (filter.failedBefore !== undefined && last > filter.failedBefore.getTime()) return false;
  if (filter.failedAfter !== undefined && last < filter.failedAfter.getTime()) return false;
  return true;
}

/** Orders stream ids (`<ms>-<seq>`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  return am.length !== bm.length ? am.length - bm.length : am !== bm ? (am < bm ? -1 : 1) : Number(as) - Number(bs);
}

const FIELD: Record<StatsDimension, (e: DeadLetterEntry) => string | null> = {
  pipeline: (e) => e.pipeline,
  step: (e) => e.step,
  errorCode: (e) => e.error.code,
  state: (e) => e.state,
};

export function statsOf(entries: readonly DeadLetterEntry[], dims: readonly StatsDimension[]): StatsRow[] {
  const groups = new Map<string, StatsRow>();
  for (const e of entries) {
    const values = dims.map((d) => FIELD[d](e));
    const key = JSON.stringify(values);
    let row = groups.get(key);
    if (!row) {
      row = { entries: 0, failures: 0, oldestFailureAt: e.firstFailedAt, newestFailureAt: e.lastFailedAt };
      dims.forEach((d, i) => {
        (row as unknown as Record<string, unknown>)[d] = values[i];
      });
      groups.set(key, row);
    }
    row.entries++;
    row.failures += e.failureCount;
    if (e.firstFailedAt < row.oldestFailureAt) row.oldestFailureAt = e.firstFailedAt;
    if (e.lastFailedAt > row.newestFailureAt) row.newestFailureAt = e.lastFailedAt;
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
