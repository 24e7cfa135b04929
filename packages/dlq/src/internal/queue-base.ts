import { randomUUID } from 'node:crypto';
import { InvalidOptionError } from '@pipewright/core';
import { DeadLetterNotFoundError, DeadLetterStateError } from '../errors.ts';
import { type DeadLetterQueueOptions, type ResolvedOptions, resolveOptions } from '../options.ts';
import type {
  DeadLetterEntry,
  DeadLetterFilter,
  DeadLetterInput,
  DeadLetterState,
  PurgeOptions,
  RedriveHandler,
  RedriveOptions,
  RedriveOutcome,
  RedriveResult,
  RunRate,
  SendResult,
  StatsDimension,
  TransitionOptions,
} from '../types.ts';
import type { CaptureContext } from './capture.ts';
import { statesOf } from './pg-filter.ts';
import {
  type ClaimBackend,
  type ClaimRequest,
  type CompleteRequest,
  defaultActor,
  handleOne,
  runRedrive,
} from './redrive-loop.ts';

const DIMENSIONS: readonly StatsDimension[] = ['pipeline', 'step', 'errorCode', 'state'];
const DAY_MS = 86_400_000;

/** What both backends share: option handling, validation and the redrive loop over `claim`/`complete`. */
export abstract class QueueBase implements ClaimBackend {
  protected readonly options: ResolvedOptions;

  constructor(options: DeadLetterQueueOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', 'an options object', options);
    }
    this.options = resolveOptions(options);
  }

  abstract sendMany<T>(inputs: readonly DeadLetterInput<T>[]): Promise<SendResult[]>;
  abstract get<T = unknown>(id: string): Promise<DeadLetterEntry<T> | undefined>;
  abstract count(filter?: DeadLetterFilter): Promise<number>;
  abstract claim(request: ClaimRequest): Promise<DeadLetterEntry | undefined>;
  abstract complete(request: CompleteRequest): Promise<RedriveOutcome>;
  protected abstract transition(
    id: string,
    from: readonly DeadLetterState[],
    to: DeadLetterState,
    by: string,
    why: string,
    resetRedrives: boolean,
  ): Promise<boolean>;

  protected captureContext(now: number): CaptureContext {
    return { classify: this.options.classify, redact: this.options.redact, now };
  }

  async send<T>(input: DeadLetterInput<T>): Promise<SendResult> {
    const [result] = await this.sendMany([input]);
    return result as SendResult;
  }

  async runRate(runId: string, total: number): Promise<RunRate> {
    if (typeof runId !== 'string' || runId.length === 0)
      throw new InvalidOptionError('runId', 'a non-empty string', runId);
    if (!Number.isInteger(total) || total < 0) throw new InvalidOptionError('total', 'a non-negative integer', total);
    const deadLettered = await this.count({ runId });
    return { runId, deadLettered, total, rate: total === 0 ? 0 : deadLettered / total };
  }

  redrive<T = unknown>(handler: RedriveHandler<T>, options?: RedriveOptions): Promise<RedriveResult> {
    return runRedrive(this, this.options.clock, this.options.visibilityTimeoutMs, handler as RedriveHandler, options);
  }

  async redriveOne<T = unknown>(
    id: string,
    handler: RedriveHandler<T>,
    options: TransitionOptions = {},
  ): Promise<RedriveOutcome> {
    if (typeof handler !== 'function') throw new InvalidOptionError('handler', 'a function', handler);
    const by = options.by ?? defaultActor;
    const token = randomUUID();
    const now = this.options.clock.now();
    const entry = await this.claim({
      filter: {},
      id: String(id),
      token,
      by,
      now,
      leaseUntil: now + this.options.visibilityTimeoutMs,
    });
    if (!entry) throw await this.refusal(id, 'redrive it');
    return handleOne(this, this.options.clock, entry, token, by, handler as RedriveHandler);
  }

  async discard(id: string, options: TransitionOptions = {}): Promise<void> {
    const ok = await this.transition(
      String(id),
      ['pending', 'parked'],
      'discarded',
      options.by ?? 'operator',
      options.why ?? 'discarded',
      false,
    );
    if (!ok) throw await this.refusal(id, 'discard it');
  }

  async requeue(id: string, options: TransitionOptions = {}): Promise<void> {
    const ok = await this.transition(
      String(id),
      ['parked', 'discarded'],
      'pending',
      options.by ?? 'operator',
      options.why ?? 'requeued',
      true,
    );
    if (!ok) throw await this.refusal(id, 'requeue it');
  }

  async #refusalOf(id: string, wanted: string): Promise<Error> {
    const entry = await this.get(String(id));
    return entry ? new DeadLetterStateError(String(id), entry.state, wanted) : new DeadLetterNotFoundError(String(id));
  }

  protected refusal(id: string, wanted: string): Promise<Error> {
    return this.#refusalOf(id, wanted);
  }

  protected listLimit(limit: number | undefined): number {
    const value = limit ?? 100;
    if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError('limit', 'a positive integer', limit);
    return value;
  }

  protected statsDimensions(by: readonly StatsDimension[]): StatsDimension[] {
    if (!Array.isArray(by) || by.some((d) => !DIMENSIONS.includes(d))) {
      throw new InvalidOptionError('by', `an array of ${DIMENSIONS.join(', ')}`, by);
    }
    return [...new Set(by)];
  }

  protected purgeScope(options: PurgeOptions): { states: DeadLetterState[]; cutoff: number } {
    const days = options?.olderThanDays;
    if (typeof days !== 'number' || !Number.isFinite(days) || days < 0) {
      throw new InvalidOptionError('olderThanDays', 'a non-negative number of days', days);
    }
    const states = statesOf(options.states ?? ['resolved', 'discarded'], 'states') as DeadLetterState[];
    if (states.length === 0) throw new InvalidOptionError('states', 'a non-empty list of states', options.states);
    return { states, cutoff: this.options.clock.now() - days * DAY_MS };
  }
}
