import { InvalidLineageInputError } from '../errors.ts';
import type { BaseFacet, FacetOptions } from './base.ts';
import { facetUrl, stamp } from './base.ts';

/** One test run on a dataset or a column, in OpenLineage's shape. */
export interface QualityAssertion {
  /** Kind of test: `not_null`, `unique`, `row_count`, `freshness`, `custom_sql`… */
  assertion: string;
  /** True when the test found no issue (a warning still found one). */
  success: boolean;
  column?: string;
  /** `error` (blocks the pipeline) or `warn`. */
  severity?: string;
  name?: string;
  description?: string;
  expected?: string;
  actual?: string;
  content?: string;
  contentType?: string;
  params?: Record<string, unknown>;
}

export interface DataQualityAssertionsFacet extends BaseFacet {
  assertions: QualityAssertion[];
}

/** One check of a quality report, as plain data. Field names of the common report shapes are all understood. */
export interface QualityCheckLike {
  /** Kind of check (`not_null`…); falls back to `check`, `test`, then `name`. */
  type?: string;
  check?: string;
  test?: string;
  name?: string;
  column?: string;
  /** The table/model the check ran on (informational: the facet already sits on that dataset). */
  model?: string;
  /** Pass/fail as a boolean (`success` or `passed`) or a status word (`pass`, `warn`, `fail`, `error`). */
  success?: boolean;
  passed?: boolean;
  status?: string;
  severity?: string;
  message?: string;
  description?: string;
  expected?: unknown;
  actual?: unknown;
  sql?: string;
}

/**
 * A quality report as plain data: `assertions` already in OpenLineage's shape, a list of `checks`, or only the
 * `failures` of the minimal report shape (`{ summary, failures: [{ test, model, message }] }`).
 */
export interface QualityReportLike {
  assertions?: readonly QualityAssertion[];
  checks?: readonly QualityCheckLike[];
  failures?: readonly QualityCheckLike[];
}

const PASS = new Set(['pass', 'passed', 'ok', 'success', 'succeeded']);
const FAIL = new Set(['fail', 'failed', 'error', 'errored', 'warn', 'warning']);

function successOf(check: QualityCheckLike, fallback: boolean | undefined, path: string): boolean {
  if (typeof check.success === 'boolean') return check.success;
  if (typeof check.passed === 'boolean') return check.passed;
  const status = typeof check.status === 'string' ? check.status.toLowerCase() : undefined;
  if (status && PASS.has(status)) return true;
  if (status && FAIL.has(status)) return false;
  if (fallback !== undefined) return fallback;
  throw new InvalidLineageInputError(`${path}.status`, 'pass/warn/fail or a boolean success/passed', check.status);
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
}

function fromCheck(check: QualityCheckLike, fallback: boolean | undefined, path: string): QualityAssertion {
  if (check === null || typeof check !== 'object') throw new InvalidLineageInputError(path, 'an object', check);
  const kind = check.type ?? check.check ?? check.test ?? check.name;
  if (typeof kind !== 'string' || kind === '') {
    throw new InvalidLineageInputError(`${path}.type`, 'the kind of check (type, check, test or name)', kind);
  }
  const out: QualityAssertion = { assertion: kind, success: successOf(check, fallback, path) };
  if (check.column !== undefined) out.column = String(check.column);
  const status = check.status?.toLowerCase();
  const severity = check.severity ?? (status === 'warn' || status === 'warning' ? 'warn' : undefined);
  if (severity !== undefined) out.severity = severity;
  if (check.name !== undefined && check.name !== kind) out.name = check.name;
  const description = check.description ?? check.message;
  if (description !== undefined) out.description = description;
  const expected = text(check.expected);
  if (expected !== undefined) out.expected = expected;
  const actual = text(check.actual);
  if (actual !== undefined) out.actual = actual;
  if (check.sql !== undefined) {
    out.content = check.sql;
    out.contentType = 'sql';
  }
  return out;
}

const ASSERTION_TEXT = [
  'column',
  'severity',
  'name',
  'description',
  'expected',
  'actual',
  'content',
  'contentType',
] as const;

function fromAssertion(a: QualityAssertion, path: string): QualityAssertion {
  if (typeof a?.assertion !== 'string' || a.assertion === '') {
    throw new InvalidLineageInputError(`${path}.assertion`, 'a non-empty string', a?.assertion);
  }
  if (typeof a.success !== 'boolean') throw new InvalidLineageInputError(`${path}.success`, 'a boolean', a.success);
  const out: QualityAssertion = { assertion: a.assertion, success: a.success };
  for (const key of ASSERTION_TEXT) {
    const value = text(a[key]);
    if (value !== undefined) out[key] = value;
  }
  if (a.params !== undefined) out.params = { ...a.params };
  return out;
}

/**
 * `dataQualityAssertions`: the tests run on a dataset and their results. Pass OpenLineage-shaped assertions or a
 * quality report as plain data (see `QualityReportLike`).
 */
export function dataQualityAssertionsFacet(
  input: readonly QualityAssertion[] | QualityReportLike,
  options?: FacetOptions,
): DataQualityAssertionsFacet {
  const assertions: QualityAssertion[] = [];
  if (Array.isArray(input)) {
    input.forEach((a, i) => {
      assertions.push(fromAssertion(a, `assertions[${i}]`));
    });
  } else if (input !== null && typeof input === 'object') {
    const report = input as QualityReportLike;
    report.assertions?.forEach((a, i) => {
      assertions.push(fromAssertion(a, `assertions[${i}]`));
    });
    report.checks?.forEach((c, i) => {
      assertions.push(fromCheck(c, undefined, `checks[${i}]`));
    });
    // A check listed in both `checks` and `failures` appears once.
    const seen = new Set(report.checks?.map((c) => `${c.test ?? c.name ?? c.type}|${c.column ?? ''}`));
    report.failures?.forEach((f, i) => {
      if (!seen.has(`${f.test ?? f.name ?? f.type}|${f.column ?? ''}`))
        assertions.push(fromCheck(f, false, `failures[${i}]`));
    });
  } else {
    throw new InvalidLineageInputError('input', 'a list of assertions or a quality report object', input);
  }
  return { ...stamp(options, facetUrl('1-1-0', 'DataQualityAssertionsDatasetFacet')), assertions };
}
