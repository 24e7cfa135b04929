import { randomUUID } from 'node:crypto';
import { type Clock, ensureError, InvalidOptionError } from '@pipewright/core';
import type {
  DeadLetterEntry,
  DeadLetterFilter,
  RedriveHandler,
  RedriveOptions,
  RedriveOutcome,
  RedriveResult,
} from '../types.ts';

export type Completion = 'resolve' | 'discard' | 'fail';

/** What a backend offers the redrive loop: an atomic claim with a lease, and a fenced completion. */
export interface ClaimBackend {
  /** Claims one entry (pending, or replaying with an expired lease; or exactly `id`), or returns undefined. */
  claim(request: ClaimRequest): Promise<DeadLetterEntry | undefined>;
  /** Records the outcome only if `token` still holds the lease; returns what happened. */
  complete(request: CompleteRequest): Promise<RedriveOutcome>;
}

export interface ClaimRequest {
  filter: Omit<DeadLetterFilter, 'state'>;
  /** Claim this entry only (single-entry redrive: parked and discarded entries qualify too). */
  id?: string;
  token: string;
  by: string;
  now: number;
  leaseUntil: number;
}

export interface CompleteRequest {
  id: string;
  token: string;
  completion: Completion;
  by: string;
  why: string;
  now: number;
}

/** Maps the state a completion left behind to the redrive outcome. */
export function outcomeOf(state: string | undefined): RedriveOutcome {
  switch (state) {
    case 'resolved':
      return 'resolved';
    case 'discarded':
      return 'discarded';
    case 'parked':
      return 'parked';
    case 'pending':
      return 'failed';
    default:
      return 'lease-lost';
  }
}

export const defaultActor: string = `redrive:${process.pid}`;

function positive(option: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || (integer && value !== Infinity && !Number.isInteger(value))) {
    throw new InvalidOptionError(option, integer ? 'a positive integer or Infinity' : 'a positive number', value);
  }
  return value;
}

function describeFailure(error: unknown): string {
  const err = ensureError(error);
  return `${err.name}: ${err.message}`;
}

/** Runs one claimed entry through the handler and records the outcome. */
export async function handleOne(
  backend: ClaimBackend,
  clock: Clock,
  entry: DeadLetterEntry,
  token: string,
  by: string,
  handler: RedriveHandler,
): Promise<RedriveOutcome> {
  let completion: Completion = 'resolve';
  let why = 'handler succeeded';
  try {
    const verdict = await handler(entry);
    if (verdict === 'discard') {
      completion = 'discard';
      why = 'handler discarded it';
    }
  } catch (error) {
    completion = 'fail';
    why = describeFailure(error);
  }
  return backend.complete({ id: entry.id, token, completion, by, why, now: clock.now() });
}

/**
 * Claims and handles entries with `concurrency` workers until `limit` is reached, nothing is claimable, or the
 * signal aborts. Starts are paced to `ratePerSecond` on the injected clock.
 */
export async function runRedrive(
  backend: ClaimBackend,
  clock: Clock,
  visibilityTimeoutMs: number,
  handler: RedriveHandler,
  options: RedriveOptions = {},
): Promise<RedriveResult> {
  if (typeof handler !== 'function') throw new InvalidOptionError('handler', 'a function', handler);
  const limit = positive('limit', options.limit, Infinity, true);
  const rate = positive('ratePerSecond', options.ratePerSecond, Infinity, false);
  const concurrency = positive('concurrency', options.concurrency, 1, true);
  if (concurrency === Infinity) throw new InvalidOptionError('concurrency', 'a finite positive integer', concurrency);
  const by = options.by ?? defaultActor;
  const filter = options.filter ?? {};
  const result: RedriveResult = { processed: 0, resolved: 0, discarded: 0, failed: 0, parked: 0, leaseLost: 0 };
  const start = clock.now();
  let started = 0;
  let exhausted = false;

  const worker = async (): Promise<void> => {
    while (!exhausted && started < limit && !options.signal?.aborted) {
      const slot = started++;
      if (rate !== Infinity) {
        const due = start + (slot / rate) * 1000;
        const wait = due - clock.now();
        if (wait > 0) await clock.sleep(wait, options.signal).catch(() => undefined);
        if (options.signal?.aborted) return;
      }
      const token = randomUUID();
      const now = clock.now();
      const entry = await backend.claim({ filter, token, by, now, leaseUntil: now + visibilityTimeoutMs });
      if (!entry) {
        exhausted = true;
        started--;
        return;
      }
      result.processed++;
      const outcome = await handleOne(backend, clock, entry, token, by, handler);
      if (outcome === 'resolved') result.resolved++;
      else if (outcome === 'discarded') result.discarded++;
      else if (outcome === 'failed') result.failed++;
      else if (outcome === 'parked') result.parked++;
      else result.leaseLost++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}
