import { InvalidOptionError, systemClock } from '@pipewright/core';
import type { CheckResult, CheckStatus } from './checks/result.ts';
import { QualityCheckFailedError } from './errors.ts';

/** One failed or warned check, in the seeds' shape (`test`, `model`, `message`) plus its status. */
export interface ReportFailure {
  test: string;
  model: string;
  message: string;
  status: Exclude<CheckStatus, 'pass'>;
  severity: CheckResult['severity'];
  sample: unknown[];
}

export interface ReportSummary {
  total_tests: number;
  passed: number;
  warned: number;
  failed: number;
  /** passed / total_tests, 0…1 rounded to 4 places (1 when there are no tests). */
  pass_rate: number;
}

/** A run's quality report: JSON-safe, in the shape `{ timestamp, summary, failures }` and more. */
export interface QualityReport {
  /** ISO-8601 UTC. */
  timestamp: string;
  summary: ReportSummary;
  failures: ReportFailure[];
  /** Every check with its model (the dataset it ran on). */
  results: (CheckResult & { model: string })[];
}

export interface BuildReportOptions {
  /** Model (dataset) name for a plain list of results. @default 'batch' */
  model?: string;
  /** Clock for the timestamp. @default systemClock */
  clock?: { now(): number };
}

/**
 * Builds the JSON report from results: a list (one model) or `{ [model]: results }` for several datasets.
 * @example buildReport({ orders: await runSqlChecks(sql, 'orders', checks) })
 */
export function buildReport(
  results: readonly CheckResult[] | Readonly<Record<string, readonly CheckResult[]>>,
  options: BuildReportOptions = {},
): QualityReport {
  if (results === null || typeof results !== 'object') {
    throw new InvalidOptionError('results', 'an array of check results or { [model]: results }', results);
  }
  const sections: [string, readonly CheckResult[]][] = Array.isArray(results)
    ? [[options.model ?? 'batch', results as readonly CheckResult[]]]
    : Object.entries(results as Record<string, readonly CheckResult[]>);
  const all = sections.flatMap(([model, list]) => list.map((result) => ({ ...result, model })));
  const passed = all.filter((r) => r.status === 'pass').length;
  const warned = all.filter((r) => r.status === 'warn').length;
  const failed = all.filter((r) => r.status === 'fail').length;
  const total = all.length;
  return {
    timestamp: new Date((options.clock ?? systemClock).now()).toISOString(),
    summary: {
      total_tests: total,
      passed,
      warned,
      failed,
      pass_rate: total === 0 ? 1 : Math.round((passed / total) * 10_000) / 10_000,
    },
    failures: all
      .filter((r) => r.status !== 'pass')
      .map((r) => ({
        test: r.name,
        model: r.model,
        message: r.message,
        status: r.status as ReportFailure['status'],
        severity: r.severity,
        sample: r.sample,
      })),
    results: all,
  };
}

/** Throws `QualityCheckFailedError` when any check failed with severity `error` (warnings pass). */
export function assertQuality(report: QualityReport): void {
  const failed = report.failures.filter((f) => f.status === 'fail');
  if (failed.length === 0) return;
  const detail = failed
    .slice(0, 5)
    .map((f) => `${f.model}.${f.test} (${f.message})`)
    .join('; ');
  throw new QualityCheckFailedError(
    failed.map((f) => `${f.model}.${f.test}`),
    failed.length > 5 ? `${detail}; and ${failed.length - 5} more` : detail,
  );
}
