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
  /** Several checked columns (a composite key): joined with `,`. */
  columns?: readonly string[];
  /** The table/model the check ran on; see the `model` option. */
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
  /** Alias of `actual`. */
  observed?: unknown;
  /** Rows evaluated / failing, share failing, required passing share: kept in `params`. */
  total?: number;
  failing?: number;
  share?: number;
  mostly?: number;
  sql?: string;
}

/**
 * A quality report as plain data: `assertions` already in OpenLineage's shape, every check as `results` (or
 * `checks`), or — for the minimal report shape `{ summary, failures: [{ test, model, message }] }` — only the
 * `failures`, which are used only when no `results`/`checks` list is given (they repeat its failed entries).
 */
export interface QualityReportLike {
  assertions?: readonly QualityAssertion[];
  results?: readonly QualityCheckLike[];
  checks?: readonly QualityCheckLike[];
  failures?: readonly QualityCheckLike[];
}

export interface QualityFacetOptions extends FacetOptions {
  /** Keep only the checks of this model (dataset): a report may cover several, a facet describes one. */
  model?: string;
}

const PARAMS = ['total', 'failing', 'share', 'mostly'] as const;

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
  else if (Array.isArray(check.columns) && check.columns.length > 0) out.column = check.columns.join(',');
  const status = check.status?.toLowerCase();
  const severity = check.severity ?? (status === 'warn' || status === 'warning' ? 'warn' : undefined);
  if (severity !== undefined) out.severity = severity;
  if (check.name !== undefined && check.name !== kind) out.name = check.name;
  const description = check.description ?? check.message;
  if (description !== undefined) out.description = description;
  const expected = text(check.expected);
  if (expected !== undefined) out.expected = expected;
  const actual = text(check.actual ?? check.observed);
  if (actual !== undefined) out.actual = actual;
  const params: Record<string, number> = {};
  for (const key of PARAMS) {
    const value = check[key];
    if (typeof value === 'number' && Number.isFinite(value)) params[key] = value;
  }
  if (Object.keys(params).length > 0) out.params = params;
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
  options?: QualityFacetOptions,
): DataQualityAssertionsFacet {
  const assertions: QualityAssertion[] = [];
  const model = options?.model;
  const keep = (c: QualityCheckLike): boolean => model === undefined || c.model === undefined || c.model === model;
  if (Array.isArray(input)) {
    input.forEach((a, i) => {
      assertions.push(fromAssertion(a, `assertions[${i}]`));
    });
  } else if (input !== null && typeof input === 'object') {
    const report = input as QualityReportLike;
    report.assertions?.forEach((a, i) => {
      assertions.push(fromAssertion(a, `assertions[${i}]`));
    });
    const lists: [string, readonly QualityCheckLike[] | undefined, boolean | undefined][] = [
      ['results', report.results, undefined],
      ['checks', report.checks, undefined],
    ];
    if (!report.results && !report.checks) lists.push(['failures', report.failures, false]);
    for (const [field, list, fallback] of lists) {
      if (list === undefined) continue;
      if (!Array.isArray(list)) throw new InvalidLineageInputError(field, 'an array of checks', list);
      list.forEach((c, i) => {
        if (keep(c)) assertions.push(fromCheck(c, fallback, `${field}[${i}]`));
      });
    }
  } else {
    throw new InvalidLineageInputError('input', 'a list of assertions or a quality report object', input);
  }
  return { ...stamp(options, facetUrl('1-1-0', 'DataQualityAssertionsDatasetFacet')), assertions };
}
