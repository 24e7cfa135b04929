import { PipewrightError } from '@pipewright/core';
import type { DriftReport } from './internal/drift.ts';
import type { ValidationResult } from './validate.ts';

/** More records were rejected than `maxRejectRate` allows. Raised after `onReject` received them. */
export class RejectRateExceededError extends PipewrightError {
  readonly rejected: number;
  readonly total: number;
  readonly rate: number;
  readonly maxRejectRate: number;
  /** The whole batch result (valid records, rejections, drift), so nothing is lost with the throw. */
  readonly result: ValidationResult<unknown> | undefined;
  constructor(rejected: number, total: number, maxRejectRate: number, result?: ValidationResult<unknown>) {
    const rate = total === 0 ? 0 : rejected / total;
    super(
      'PW_REJECT_RATE_EXCEEDED',
      `Rejected ${rejected} of ${total} records (rate ${formatRate(rate)}), above maxRejectRate ${maxRejectRate}`,
      { kind: 'fatal' },
    );
    this.rejected = rejected;
    this.total = total;
    this.rate = rate;
    this.maxRejectRate = maxRejectRate;
    this.result = result;
  }
}

/** The source's shape changed (new fields) and the drift policy is `fail`. Raised after `onReject`. */
export class SchemaDriftError extends PipewrightError {
  readonly drift: DriftReport;
  /** The whole batch result (valid records, rejections, drift), so nothing is lost with the throw. */
  readonly result: ValidationResult<unknown> | undefined;
  constructor(drift: DriftReport, result?: ValidationResult<unknown>) {
    const fields = drift.newFields.map((f) => `${f.name} (${f.type}, ${f.count} records)`).join(', ');
    super(
      'PW_SCHEMA_DRIFT',
      `Schema drift: the source sent unknown fields ${fields}; expected only the schema's fields`,
      {
        kind: 'fatal',
      },
    );
    this.drift = drift;
    this.result = result;
  }
}

/** A check cannot run where it was asked to (e.g. `custom_sql` on an in-memory batch). */
export class UnsupportedCheckError extends PipewrightError {
  readonly check: string;
  constructor(check: string, where: string, hint: string) {
    super('PW_CHECK_UNSUPPORTED', `Check "${check}" cannot run ${where}: ${hint}`, { kind: 'fatal' });
    this.check = check;
  }
}

/** `assertQuality()` found checks that failed with severity `error`. */
export class QualityCheckFailedError extends PipewrightError {
  readonly failed: readonly string[];
  constructor(failed: readonly string[], detail: string) {
    super('PW_QUALITY_CHECK_FAILED', `${failed.length} quality check(s) failed: ${detail}`, { kind: 'fatal' });
    this.failed = failed;
  }
}

function formatRate(rate: number): string {
  return `${Number((rate * 100).toPrecision(4))}%`;
}
