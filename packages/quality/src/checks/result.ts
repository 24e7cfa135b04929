import type { Check, CheckType, Severity } from './define.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** The outcome of one check, the same whether it ran in memory or in SQL. */
export interface CheckResult {
  name: string;
  type: CheckType;
  /** The checked column(s), when the check is about columns. */
  columns: string[];
  severity: Severity;
  mostly: number;
  status: CheckStatus;
  /** Rows evaluated (the table or batch size). */
  total: number;
  /** Rows that failed (for table-level checks: 1 when the table failed, else 0). */
  failing: number;
  /** failing / total (0 when total is 0). */
  share: number;
  /** The measured figure of table-level checks: row count, age in ms, today's row count. */
  observed?: number;
  /** The threshold the check holds the data to, as text. */
  expected: string;
  /** Up to `sampleSize` failing values (with their key columns when `key` was given), bounded and JSON-safe. */
  sample: unknown[];
  message: string;
}

/** What an evaluator measured, before thresholds are applied. */
export interface RawOutcome {
  total: number;
  failing: number;
  sample: unknown[];
  observed?: number;
  expected?: string;
  /** For table-level checks: the verdict before severity (`warn` only from freshness). */
  verdict?: CheckStatus;
  detail?: string;
}

function columnsOf(check: Check): string[] {
  if (check.type === 'unique') return [...check.columns];
  return 'column' in check ? [check.column] : [];
}

function percent(share: number): string {
  return `${Number((share * 100).toPrecision(3))}%`;
}

/** Applies `mostly` and `severity` to what an evaluator measured. */
export function finalize(check: Check, raw: RawOutcome): CheckResult {
  // Table-level checks fail as a whole: their share is 0 or 1.
  const share = raw.verdict !== undefined ? (raw.failing > 0 ? 1 : 0) : raw.total === 0 ? 0 : raw.failing / raw.total;
  let status: CheckStatus;
  let message: string;
  if (raw.verdict !== undefined) {
    status = raw.verdict === 'fail' && check.severity === 'warn' ? 'warn' : raw.verdict;
    message = raw.detail ?? (status === 'pass' ? 'passed' : 'failed');
  } else {
    // Integer-safe comparison with a tolerance, so `mostly: 0.95` with exactly 95 of 100 passing passes.
    const passing = raw.total - raw.failing;
    const ok = raw.failing === 0 || passing >= check.mostly * raw.total - 1e-9 * raw.total;
    status = ok ? 'pass' : check.severity === 'warn' ? 'warn' : 'fail';
    const of = `${raw.failing} of ${raw.total} rows failed (${percent(share)})`;
    const allowed = check.mostly < 1 ? `; at least ${percent(check.mostly)} must pass` : '';
    message = raw.detail ? `${of}: ${raw.detail}${allowed}` : `${of}${allowed}`;
  }
  const result: CheckResult = {
    name: check.name,
    type: check.type,
    columns: columnsOf(check),
    severity: check.severity,
    mostly: check.mostly,
    status,
    total: raw.total,
    failing: raw.failing,
    share,
    expected: raw.expected ?? (check.mostly < 1 ? `>= ${check.mostly} passing` : 'no failing rows'),
    sample: raw.sample,
    message,
  };
  if (raw.observed !== undefined) result.observed = raw.observed;
  return result;
}

export interface RunOptions {
  /** Epoch-ms clock for freshness and volume checks. @default systemClock */
  clock?: { now(): number };
  /** Most failing values kept per check. @default 5 */
  sampleSize?: number;
  /** Column(s) identifying a row, added to each sample entry. @default none */
  key?: string | readonly string[];
}

const DAY_MS = 86_400_000;

/** The UTC day window used by volume checks: [start of history, start of today, start of tomorrow). */
export function volumeWindow(now: number, days: number, dayOffset = 0): { start: number; today: number; end: number } {
  const today = (Math.floor(now / DAY_MS) - dayOffset) * DAY_MS;
  return { start: today - days * DAY_MS, today, end: today + DAY_MS };
}

/** Freshness verdict from the newest timestamp. */
export function freshnessOutcome(
  check: Extract<Check, { type: 'freshness' }>,
  latestMs: number | undefined,
  now: number,
  total: number,
): RawOutcome {
  const limits = [
    check.warnAfterMs === undefined ? '' : `warn after ${check.warnAfterMs} ms`,
    check.errorAfterMs === undefined ? '' : `error after ${check.errorAfterMs} ms`,
  ].filter(Boolean);
  const expected = `newest ${check.column} ${limits.join(', ')}`;
  if (latestMs === undefined || Number.isNaN(latestMs)) {
    return { total, failing: 1, sample: [], expected, verdict: 'fail', detail: `no ${check.column} value at all` };
  }
  const age = now - latestMs;
  const verdict: CheckStatus =
    check.errorAfterMs !== undefined && age > check.errorAfterMs
      ? 'fail'
      : check.warnAfterMs !== undefined && age > check.warnAfterMs
        ? 'warn'
        : 'pass';
  const detail = `newest ${check.column} is ${new Date(latestMs).toISOString()}, ${age} ms old`;
  return { total, failing: verdict === 'pass' ? 0 : 1, sample: [], observed: age, expected, verdict, detail };
}

/** Volume verdict from today's count and the history count. */
export function volumeOutcome(
  check: Extract<Check, { type: 'volume_anomaly' }>,
  today: number,
  history: number,
  total: number,
): RawOutcome {
  const average = history / check.days;
  const low = average * (1 - check.maxDrop);
  const high = average * (1 + check.maxSpike);
  const day = check.dayOffset === 0 ? 'today' : `${check.dayOffset} day(s) ago`;
  const round = (n: number): number => Number(n.toPrecision(6));
  const expected = `${day} between ${round(low)} and ${round(high)} rows (average over ${check.days} days)`;
  if (average === 0) {
    return { total, failing: 0, sample: [], observed: today, expected, verdict: 'pass', detail: 'no history yet' };
  }
  const verdict: CheckStatus = today < low || today > high ? 'fail' : 'pass';
  const change = Number((((today - average) / average) * 100).toPrecision(3));
  const detail = `${today} rows ${day} vs average ${round(average)} (${change >= 0 ? '+' : ''}${change}%)`;
  return { total, failing: verdict === 'pass' ? 0 : 1, sample: [], observed: today, expected, verdict, detail };
}

/** Row-count verdict. */
export function rowCountOutcome(check: Extract<Check, { type: 'row_count' }>, count: number): RawOutcome {
  const tooFew = check.min !== undefined && count < check.min;
  const tooMany = check.max !== undefined && count > check.max;
  const expected = `between ${check.min ?? 0} and ${check.max ?? '∞'} rows`;
  const verdict: CheckStatus = tooFew || tooMany ? 'fail' : 'pass';
  return {
    total: count,
    failing: verdict === 'pass' ? 0 : 1,
    sample: [],
    observed: count,
    expected,
    verdict,
    detail: `${count} rows, expected ${expected}`,
  };
}
