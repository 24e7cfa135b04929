import { InvalidOptionError } from '@pipewright/core';
import type { z } from 'zod';
import { RejectRateExceededError, SchemaDriftError } from './errors.ts';
import { DriftCollector, type DriftReport, type IssueLike } from './internal/drift.ts';
import { type RejectionIssue, shortReason, toRejectionIssues } from './internal/issues.ts';
import { prepareSchema } from './internal/schema.ts';

/** What to do when records carry fields the schema does not know. */
export type DriftPolicy = 'fail' | 'quarantine' | 'evolve';

/** A record the schema refused, with everything needed to replay or dead-letter it. */
export interface Rejection {
  /** Position in the input batch. */
  index: number;
  /** The original record, untouched. */
  record: unknown;
  issues: RejectionIssue[];
  /** One line: the first issue and how many more. */
  reason: string;
}

export interface ValidateOptions {
  /**
   * Reject unknown fields (a top-level `z.object` is made strict). With `false`, unknown fields are stripped as
   * zod does, and drift is still reported from a sampled key-set check.
   * @default true
   */
  strict?: boolean;
  /**
   * `fail`: records with unknown fields are rejected and, after `onReject`, a `SchemaDriftError` is raised.
   * `quarantine`: they are rejected (to `onReject`) and the batch goes on. `evolve`: they are accepted with
   * their extra fields kept, and reported in `drift`.
   * @default 'fail'
   */
  drift?: DriftPolicy;
  /**
   * Highest share of rejected records (0…1) before the batch fails with `RejectRateExceededError` (raised after
   * `onReject`). A rate exactly equal passes.
   * @default 1 (never)
   * @example 0.05
   */
  maxRejectRate?: number;
  /** Receives every rejected record of the batch (e.g. a dead-letter queue), before any threshold error. */
  onReject?: (rejected: Rejection[], drift: DriftReport) => void | Promise<void>;
  /**
   * For non-strict schemas: inspect the keys of one record in every `driftSampleEvery` (and the first).
   * @default 1000
   */
  driftSampleEvery?: number;
}

export interface ValidationStats {
  total: number;
  valid: number;
  rejected: number;
  /** rejected / total (0 for an empty batch). */
  rejectRate: number;
  durationMs: number;
}

export interface ValidationResult<T> {
  valid: T[];
  rejected: Rejection[];
  drift: DriftReport;
  stats: ValidationStats;
}

function checkOptions(options: ValidateOptions): void {
  const { maxRejectRate, drift, driftSampleEvery, onReject, strict } = options;
  if (maxRejectRate !== undefined && !(typeof maxRejectRate === 'number' && maxRejectRate >= 0 && maxRejectRate <= 1)) {
    throw new InvalidOptionError('maxRejectRate', 'a number between 0 and 1', maxRejectRate);
  }
  if (drift !== undefined && drift !== 'fail' && drift !== 'quarantine' && drift !== 'evolve') {
    throw new InvalidOptionError('drift', "'fail', 'quarantine' or 'evolve'", drift);
  }
  if (driftSampleEvery !== undefined && !(Number.isInteger(driftSampleEvery) && driftSampleEvery >= 1)) {
    throw new InvalidOptionError('driftSampleEvery', 'a positive integer', driftSampleEvery);
  }
  if (onReject !== undefined && typeof onReject !== 'function') {
    throw new InvalidOptionError('onReject', 'a function', onReject);
  }
  if (strict !== undefined && typeof strict !== 'boolean') throw new InvalidOptionError('strict', 'a boolean', strict);
}

/**
 * Validates a batch at the loader boundary: valid records (parsed, so coercions apply), rejections with the
 * original record and zod issues, and a drift report. Nothing is dropped silently.
 */
export async function validateBatch<S extends z.ZodType>(
  records: readonly unknown[],
  schema: S,
  options: ValidateOptions = {},
): Promise<ValidationResult<z.output<S>>> {
  if (!Array.isArray(records)) throw new InvalidOptionError('records', 'an array of records', records);
  checkOptions(options);
  const policy = options.drift ?? 'fail';
  const strict = options.strict ?? true;
  const prepared = prepareSchema(schema, strict);
  const parser = prepared.schema as S;
  const sampleEvery = options.driftSampleEvery ?? 1000;
  const started = performance.now();
  const valid: z.output<S>[] = [];
  const rejected: Rejection[] = [];
  const drift = new DriftCollector();
  const total = records.length;

  for (let index = 0; index < total; index++) {
    const record = records[index];
    let result: z.ZodSafeParseResult<z.output<S>>;
    try {
      result = parser.safeParse(record);
    } catch (error) {
      // A throwing getter, a hostile proxy or an async refinement: a rejection, never a crash.
      const message = error instanceof Error ? error.message : String(error);
      const issues = [{ path: [], code: 'exception', message: `the schema threw: ${message}` }];
      rejected.push({ index, record, issues, reason: shortReason(issues) });
      continue;
    }
    if (result.success) {
      valid.push(result.data);
      if (prepared.knownKeys && index % sampleEvery === 0) drift.checkKeys(record, prepared.knownKeys);
      continue;
    }
    const issues = result.error.issues as unknown as IssueLike[];
    const onlyUnknownKeys = drift.addIssues(record, issues);
    if (onlyUnknownKeys && policy === 'evolve' && prepared.loose) {
      const loose = prepared.loose.safeParse(record);
      if (loose.success) {
        valid.push(loose.data as z.output<S>);
        continue;
      }
    }
    rejected.push({ index, record, issues: toRejectionIssues(issues), reason: shortReason(issues) });
  }

  const report = drift.report();
  const stats: ValidationStats = {
    total,
    valid: valid.length,
    rejected: rejected.length,
    rejectRate: total === 0 ? 0 : rejected.length / total,
    durationMs: performance.now() - started,
  };
  const result: ValidationResult<z.output<S>> = { valid, rejected, drift: report, stats };
  if (rejected.length > 0 && options.onReject) await options.onReject(rejected, report);
  // Sampled fields come from non-strict schemas, where the user chose to strip unknown fields.
  if (policy === 'fail' && report.newFields.some((f) => !f.sampled)) throw new SchemaDriftError(report, result);
  const maxRejectRate = options.maxRejectRate ?? 1;
  if (stats.rejectRate > maxRejectRate)
    throw new RejectRateExceededError(rejected.length, total, maxRejectRate, result);
  return result;
}
