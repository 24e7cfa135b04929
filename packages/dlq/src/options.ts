import { type Classifier, type Clock, classify, InvalidOptionError, systemClock } from '@pipewright/core';
import { createRedactor, type RedactionOptions, type Redactor } from './redact.ts';

/** Options shared by both backends. */
export interface DeadLetterQueueOptions {
  /** Time source for failure times, leases and purge ages. @default systemClock */
  clock?: Clock;
  /** Classifies captured errors (`transient` / `record` / `fatal`). @default core's `classify` */
  classify?: Classifier;
  /** Field paths replaced by a keyed hash before anything is stored. @default no redaction */
  redact?: RedactionOptions;
  /** Failed redrives after which an entry is parked as poison. @default 5 */
  maxRedrives?: number;
  /** How long a redrive worker owns an entry before another may reclaim it. @default 300000 (5 minutes) */
  visibilityTimeoutMs?: number;
}

export interface ResolvedOptions {
  clock: Clock;
  classify: Classifier;
  redact: Redactor | undefined;
  maxRedrives: number;
  visibilityTimeoutMs: number;
}

export function resolveOptions(options: DeadLetterQueueOptions): ResolvedOptions {
  const maxRedrives = options.maxRedrives ?? 5;
  if (!Number.isInteger(maxRedrives) || maxRedrives < 1) {
    throw new InvalidOptionError('maxRedrives', 'a positive integer', options.maxRedrives);
  }
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 300_000;
  if (!Number.isInteger(visibilityTimeoutMs) || visibilityTimeoutMs < 1) {
    throw new InvalidOptionError('visibilityTimeoutMs', 'a positive integer of milliseconds', visibilityTimeoutMs);
  }
  if (options.classify !== undefined && typeof options.classify !== 'function') {
    throw new InvalidOptionError('classify', 'a classifier function', options.classify);
  }
  return {
    clock: options.clock ?? systemClock,
    classify: options.classify ?? classify,
    redact: options.redact === undefined ? undefined : createRedactor(options.redact),
    maxRedrives,
    visibilityTimeoutMs,
  };
}

export function assertName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOptionError(option, 'a non-empty string', value);
  }
  return value;
}
