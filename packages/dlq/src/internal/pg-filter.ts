import { InvalidOptionError } from '@pipewright/core';
import { DEAD_LETTER_STATES, type DeadLetterFilter, type DeadLetterState } from '../types.ts';

/** Validates a state or list of states. */
export function statesOf(value: DeadLetterFilter['state'], option = 'state'): DeadLetterState[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]) as DeadLetterState[];
  for (const state of list) {
    if (!DEAD_LETTER_STATES.includes(state)) {
      throw new InvalidOptionError(option, `one of ${DEAD_LETTER_STATES.join(', ')}`, state);
    }
  }
  return list;
}

function dateOf(option: string, value: unknown): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidOptionError(option, 'a valid Date', value);
  }
  return value.toISOString();
}

/**
 * Appends the filter's conditions to `conditions`, pushing each value to `params` (never into the text).
 */
export function pgWhere(filter: DeadLetterFilter, conditions: string[], params: unknown[]): void {
  const add = (sql: (p: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.pipeline !== undefined) add((p) => `pipeline = ${p}`, filter.pipeline);
  if (filter.step !== undefined) add((p) => `step = ${p}`, filter.step);
  if (filter.errorCode !== undefined) add((p) => `error_code = ${p}`, filter.errorCode);
  if (filter.runId !== undefined) add((p) => `run_id = ${p}`, filter.runId);
  const states = statesOf(filter.state);
  if (states !== undefined) add((p) => `state = ANY(${p}::text[])`, states);
  if (filter.failedBefore !== undefined) {
    add((p) => `last_failed_at <= ${p}::timestamptz`, dateOf('failedBefore', filter.failedBefore));
  }
  if (filter.failedAfter !== undefined) {
    add((p) => `last_failed_at >= ${p}::timestamptz`, dateOf('failedAfter', filter.failedAfter));
  }
}
