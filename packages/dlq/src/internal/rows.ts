import type { ErrorKind } from '@pipewright/core';
import { decodeValue } from '../codec.ts';
import type { AuditEvent, DeadLetterEntry, DeadLetterState } from '../types.ts';
import { fullStack } from './capture.ts';

/** The entry columns as both backends return them (strings or numbers, dates as Date, text or ms). */
export interface RawEntry {
  id: string;
  state: string;
  idempotency_key: string;
  pipeline: string;
  step: string;
  run_id: string | null;
  source: string | null;
  record: string;
  error_class: string;
  error_code: string | null;
  error_message: string;
  error_stack: string | null;
  error_kind: string;
  error_reason: string;
  attempt: number | string;
  failure_count: number | string;
  redrive_count: number | string;
  first_failed_at: Date | number | string;
  last_failed_at: Date | number | string;
  updated_at: Date | number | string;
}

function toDate(value: Date | number | string): Date {
  if (value instanceof Date) return value;
  return new Date(typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : value);
}

export function toEntry<T>(row: RawEntry): DeadLetterEntry<T> {
  const source = row.source ? decodeValue<Record<string, unknown>>(row.source) : null;
  return entryOf(row, decodeValue<T>(row.record), source);
}

/** Builds the entry from a row whose record and source are already decoded. */
export function entryOf<T>(
  row: Omit<RawEntry, 'record' | 'source'>,
  record: T,
  source: Record<string, unknown> | null,
): DeadLetterEntry<T> {
  return {
    id: row.id,
    state: row.state as DeadLetterState,
    idempotencyKey: row.idempotency_key,
    pipeline: row.pipeline,
    step: row.step,
    runId: row.run_id || null,
    source,
    record,
    error: {
      class: row.error_class,
      code: row.error_code || null,
      message: row.error_message,
      stack: row.error_stack ? fullStack(row.error_stack, row.error_class, row.error_message) : null,
      kind: row.error_kind as ErrorKind,
      reason: row.error_reason,
    },
    attempt: Number(row.attempt),
    failureCount: Number(row.failure_count),
    redriveCount: Number(row.redrive_count),
    firstFailedAt: toDate(row.first_failed_at),
    lastFailedAt: toDate(row.last_failed_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** The first event of every trail: the original failure (stored implicitly, as the entry itself). */
export function creationEvent(entry: DeadLetterEntry): AuditEvent {
  return {
    at: entry.firstFailedAt,
    from: null,
    to: 'pending',
    by: 'send',
    why: `${entry.error.class}: ${entry.error.message}`,
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
