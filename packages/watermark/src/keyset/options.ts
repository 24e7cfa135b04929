import { InvalidOptionError, systemClock } from '@pipewright/core';
import type { KeysetOptions } from './types.ts';

export interface ResolvedKeysetOptions extends KeysetOptions {
  keys: readonly string[];
  pageSize: number;
  lag: number;
  waitForInFlight: boolean;
  inFlightTimeout: number;
  pollInterval: number;
  checkpointEvery: number;
}

function nonNegativeInteger(name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(name, min === 0 ? 'a non-negative integer' : `an integer >= ${min}`, value);
  }
  return value;
}

/** Validates every option up front, so a misconfigured job fails before it reads anything. */
export function resolveKeysetOptions(options: KeysetOptions): ResolvedKeysetOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options);
  if (typeof options.cursor !== 'string') throw new InvalidOptionError('cursor', 'a column name', options.cursor);
  const keys = typeof options.key === 'string' ? [options.key] : options.key;
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string')) {
    throw new InvalidOptionError('key', 'a column name or a non-empty array of column names', options.key);
  }
  if (typeof options.state?.commit !== 'function') {
    throw new InvalidOptionError('state', 'a StateStore', options.state);
  }
  if (typeof options.stateKey !== 'string' || options.stateKey.length === 0) {
    throw new InvalidOptionError('stateKey', 'a non-empty string', options.stateKey);
  }
  if (options.timeZone !== undefined && (typeof options.timeZone !== 'string' || options.timeZone.length === 0)) {
    throw new InvalidOptionError('timeZone', 'an IANA time zone name such as "UTC"', options.timeZone);
  }
  if (options.lease !== undefined && (typeof options.lease.owner !== 'string' || options.lease.owner.length === 0)) {
    throw new InvalidOptionError('lease.owner', 'a non-empty string', options.lease.owner);
  }
  if (
    options.window !== undefined &&
    (typeof options.window?.start !== 'string' || typeof options.window.end !== 'string')
  ) {
    throw new InvalidOptionError('window', "{ start: string, end: string } in the cursor's text form", options.window);
  }
  nonNegativeInteger('lease.ttlMs', options.lease?.ttlMs, 1, 1);
  nonNegativeInteger('lease.heartbeatMs', options.lease?.heartbeatMs, 1, 1);
  nonNegativeInteger('statementTimeout', options.statementTimeout, 1, 1);
  return {
    ...options,
    keys,
    clock: options.clock ?? systemClock,
    pageSize: nonNegativeInteger('pageSize', options.pageSize, 5000, 1),
    lag: nonNegativeInteger('lag', options.lag, 0),
    waitForInFlight: options.waitForInFlight ?? true,
    inFlightTimeout: nonNegativeInteger('inFlightTimeout', options.inFlightTimeout, 30_000),
    pollInterval: nonNegativeInteger('pollInterval', options.pollInterval, 25, 1),
    checkpointEvery: nonNegativeInteger('checkpointEvery', options.checkpointEvery, 1, 1),
  };
}
