import { createHash } from 'node:crypto';
import { type Classifier, ensureError, InvalidOptionError } from '@pipewright/core';
import type { Redactor } from '../redact.ts';
import type { DeadLetterInput } from '../types.ts';
import { taggedJson } from './tagged-json.ts';

/** A failure flattened to the strings both backends store. */
export interface CapturedRow {
  key: string;
  pipeline: string;
  step: string;
  runId: string | null;
  /** Tagged JSON texts (`encodeValue`); no source is null. */
  sourceJson: string | null;
  recordJson: string;
  errorClass: string;
  errorCode: string | null;
  errorMessage: string;
  /** The stack's frames (from the newline after its `Class: message` header) when `stackHeaderCut`, else all of it. */
  errorStack: string | null;
  stackHeaderCut: boolean;
  errorKind: string;
  errorReason: string;
  attempt: number;
  /** Epoch milliseconds of the earliest and latest failure folded into this row. */
  firstFailedAt: number;
  failedAt: number;
  /** How many inputs of the batch folded into this row (same idempotency key). */
  count: number;
}

export interface CaptureContext {
  classify: Classifier;
  redact: Redactor | undefined;
  now: number;
}

const SEP = '\u001f';
const MAX_KEY_LENGTH = 200;

/** NUL and lone surrogates cannot be stored in PostgreSQL text; error texts keep a visible U+FFFD instead. */
function text(value: string): string {
  const wellFormed = value.isWellFormed() ? value : value.toWellFormed();
  return wellFormed.includes('\u0000') ? wellFormed.replaceAll('\u0000', '\uFFFD') : wellFormed;
}

function errorCode(error: Error): string | null {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? text(String(code)) : null;
}

/** Marks a stored stack whose header was cut off (no real stack starts with U+0001). */
export const FRAMES_ONLY = '\u0001';

function header(errorClass: string, message: string): string {
  return message ? `${errorClass}: ${message}` : errorClass;
}

/**
 * A stack starts with `Class: message`, which differs per record, while the frames below usually repeat. Keeping
 * only the frames lets identical throw sites share one stored stack; `fullStack` puts the header back. Returns the
 * header's length, or -1 when the stack does not start with it (checked in place: no string is built per record).
 */
function headerLength(stack: string, errorClass: string, message: string): number {
  const length = message ? errorClass.length + 2 + message.length : errorClass.length;
  if (stack.charCodeAt(length) !== 10 || !stack.startsWith(errorClass)) return -1;
  if (message && !(stack.startsWith(': ', errorClass.length) && stack.startsWith(message, errorClass.length + 2))) {
    return -1;
  }
  return length;
}

/** Puts back the header of a stored stack whose header was cut (see `headerLength`). */
export function fullStack(stored: string, errorClass: string, message: string): string {
  return stored.startsWith(FRAMES_ONLY) ? header(errorClass, message) + stored.slice(1) : stored;
}

/** Flattens one input; throws `InvalidOptionError` for malformed input before anything is written. */
export function captureOne(input: DeadLetterInput, context: CaptureContext, index: number): CapturedRow {
  if (input === null || typeof input !== 'object') {
    throw new InvalidOptionError(`inputs[${index}]`, 'a dead-letter input object', input);
  }
  if (typeof input.pipeline !== 'string' || input.pipeline.length === 0) {
    throw new InvalidOptionError(`inputs[${index}].pipeline`, 'a non-empty string', input.pipeline);
  }
  const attempt = input.attempt ?? 1;
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new InvalidOptionError(`inputs[${index}].attempt`, 'a non-negative integer', input.attempt);
  }
  const failedAt = input.failedAt === undefined ? context.now : input.failedAt.getTime();
  if (!Number.isFinite(failedAt)) {
    throw new InvalidOptionError(`inputs[${index}].failedAt`, 'a valid Date', input.failedAt);
  }
  const step = input.step ?? '';
  const error = ensureError(input.error);
  const { kind, reason } = context.classify(input.error);
  const errorClass = text(String(error.name || error.constructor?.name || 'Error'));
  const errorMessage = text(String(error.message));
  const recordJson = taggedJson(context.redact ? context.redact(input.record) : input.record);
  const sourceJson = input.source === undefined || input.source === null ? null : taggedJson(input.source);
  const stack = typeof error.stack === 'string' ? text(error.stack) : null;
  const cut = stack === null ? -1 : headerLength(stack, errorClass, errorMessage);
  let key = input.idempotencyKey;
  if (key === undefined) {
    const material = `${input.pipeline}${SEP}${step}${SEP}${sourceJson ?? recordJson}`;
    key = material.length > MAX_KEY_LENGTH ? `sha256:${createHash('sha256').update(material).digest('hex')}` : material;
  } else if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidOptionError(`inputs[${index}].idempotencyKey`, 'a non-empty string', key);
  }
  return {
    key,
    pipeline: input.pipeline,
    step,
    runId: input.runId ?? null,
    sourceJson,
    recordJson,
    errorClass,
    errorCode: errorCode(error),
    errorMessage,
    errorStack: cut >= 0 ? (stack as string).slice(cut) : stack,
    stackHeaderCut: cut >= 0,
    errorKind: kind,
    errorReason: reason,
    attempt,
    firstFailedAt: failedAt,
    failedAt,
    count: 1,
  };
}

/**
 * Captures a batch, folding inputs that share an idempotency key into one row (a batch may not touch a row
 * twice): the latest failure wins, counts add up. `slots[i]` is the row index of input `i`.
 */
export function captureBatch(
  inputs: readonly DeadLetterInput[],
  context: CaptureContext,
): { rows: CapturedRow[]; slots: number[] } {
  if (!Array.isArray(inputs)) throw new InvalidOptionError('inputs', 'an array of dead-letter inputs', inputs);
  const rows: CapturedRow[] = [];
  const slots = new Array<number>(inputs.length);
  const byKey = new Map<string, number>();
  for (let i = 0; i < inputs.length; i++) {
    const row = captureOne(inputs[i] as DeadLetterInput, context, i);
    const existing = byKey.get(row.key);
    if (existing === undefined) {
      byKey.set(row.key, rows.length);
      slots[i] = rows.length;
      rows.push(row);
    } else {
      const kept = rows[existing] as CapturedRow;
      row.count = kept.count + 1;
      row.firstFailedAt = Math.min(row.firstFailedAt, kept.firstFailedAt);
      if (row.failedAt < kept.failedAt) row.failedAt = kept.failedAt;
      rows[existing] = row;
      slots[i] = existing;
    }
  }
  return { rows, slots };
}
