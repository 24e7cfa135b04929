import type { Clock } from '@pipewright/core';
import { systemClock } from '@pipewright/core';
import { InvalidLineageInputError } from './errors.ts';
import { isUuid, staticUuidv7, uuidv5Of, uuidv7At } from './internal/uuid.ts';

/**
 * A new UUIDv7 run id: time-ordered (ids sort by creation, also within one millisecond) and random otherwise.
 * @param clock where the timestamp comes from. @default systemClock
 */
export function uuidv7(clock: Clock = systemClock): string {
  return uuidv7At(clock.now());
}

/** The namespace under which Pipewright derives deterministic run ids (the RFC 9562 URL-namespace UUIDv5 of the package's repository URL). */
export const PIPEWRIGHT_UUID_NAMESPACE: string = 'f01f1073-ef9e-5db0-b61c-4d1ce97bc2c5';

/** RFC 9562 UUIDv5 of `name` under `namespace` (a UUID). Same inputs, same id, on every machine. */
export function uuidv5(name: string, namespace: string = PIPEWRIGHT_UUID_NAMESPACE): string {
  if (typeof name !== 'string') throw new InvalidLineageInputError('name', 'a string', name);
  if (!isUuid(namespace)) throw new InvalidLineageInputError('namespace', 'a UUID', namespace);
  return uuidv5Of(name, namespace);
}

export interface DeterministicRunIdInput {
  jobNamespace: string;
  jobName: string;
  /** What identifies this run of the job: a partition, a window, a batch id, the scheduled time. */
  key: string;
  /**
   * When given, the id is a UUIDv7 carrying this time (so it still sorts by time) with the other bits hashed
   * from the inputs; otherwise a UUIDv5.
   */
  at?: Date | number;
}

/**
 * A run id that is the same every time the same run is described, so re-emitting a run after a crash updates
 * it instead of creating a second one.
 *
 * @example deterministicRunId({ jobNamespace: 'etl', jobName: 'orders.sync', key: '2026-11-21' })
 */
export function deterministicRunId(input: DeterministicRunIdInput): string {
  for (const field of ['jobNamespace', 'jobName', 'key'] as const) {
    const value = input?.[field];
    if (typeof value !== 'string' || value === '') {
      throw new InvalidLineageInputError(field, 'a non-empty string', value);
    }
  }
  // Length-prefixed parts: ('a', 'b:c') and ('a:b', 'c') must not collide.
  const name = [input.jobNamespace, input.jobName, input.key].map((part) => `${part.length}:${part}`).join('|');
  if (input.at === undefined) return uuidv5Of(name, PIPEWRIGHT_UUID_NAMESPACE);
  const ms = input.at instanceof Date ? input.at.getTime() : input.at;
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidLineageInputError('at', 'a valid date', input.at);
  return staticUuidv7(ms, name);
}

/** True when `value` is a UUID string in canonical 8-4-4-4-12 form. */
export function isRunId(value: unknown): value is string {
  return isUuid(value);
}
