import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type Clock,
  ensureError,
  InvalidOptionError,
  type Logger,
  noopLogger,
  type SqlClient,
  systemClock,
} from '@pipewright/core';
import type { AlertDelivery } from './alerts/types.ts';
import type { AuditStep, RunAudit } from './audit/audit.ts';
import { AlreadyRunningError, RunAbortedError } from './errors.ts';
import type { AlertOptions } from './internal/alerting.ts';
import { assertAlertOptions, sendAlerts } from './internal/alerting.ts';
import { createContext } from './internal/context.ts';
import { addCounts, zeroCounts } from './internal/counts.ts';
import { executeStep, type StepDefinition } from './internal/execute.ts';
import { buildGraph, schedule } from './internal/graph.ts';
import { holdLease, type LockOptions } from './internal/hold-lease.ts';
import { type Observers, startObservers } from './internal/observers.ts';
import type { LeaseHolder } from './lease.ts';
import { stepDefinition } from './step.ts';
import type { LineageClientLike, RunMetricsLike, StepCounts, StepHooks } from './types.ts';

export type { AlertOptions, LockOptions };

export interface JobOptions {
  /** Steps of independent branches that may run at the same time. @default 4 */
  concurrency?: number;
  /** Where each run and step is recorded (`createRunAudit`). @default none */
  audit?: RunAudit;
  /** One active run per pipeline: a lease with a fencing token (`createLeaseStore`). @default none */
  lock?: LockOptions;
  /** Alerts on failure, and optionally on recovery. @default none */
  alerts?: AlertOptions;
  /**
   * Pipeline metrics (`createPipelineMetrics` from `@pipewright/metrics`): each run is a metrics run, each step
   * is timed in it and its counts and retries recorded. @default none
   */
  metrics?: RunMetricsLike;
  /**
   * A lineage client (`createLineage` from `@pipewright/lineage`): each run is a lineage run with START and
   * COMPLETE/FAIL, each step a child run with its datasets. @default none
   */
  lineage?: LineageClientLike;
  /** Observers added to every step of this job. @default none */
  hooks?: StepHooks | readonly StepHooks[];
  /** @default systemClock */
  clock?: Clock;
  /** @default noopLogger */
  logger?: Logger;
}

export interface StepRunResult extends AuditStep {}

export interface JobRunResult {
  pipeline: string;
  runId: string;
  /** `already_running`: another process holds this pipeline's lock; nothing ran. */
  status: 'succeeded' | 'failed' | 'already_running';
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  /** Every step in declaration order, with status, counts, duration and error. */
  steps: StepRunResult[];
  /** Sums over the steps. */
  counts: StepCounts;
  /** The first step failure, why the run stopped, or (`already_running`) an `AlreadyRunningError` saying who runs it. */
  error: Error | undefined;
  /** The run's fencing token, when the job has a lock. */
  fencingToken: bigint | undefined;
  /** For `already_running`: who holds the lock. */
  heldBy: LeaseHolder | undefined;
  alerts: AlertDelivery[];
  /** Set when writing the audit failed after the run started (the run itself is not failed by it). */
  auditError: Error | undefined;
}

export interface Job {
  readonly name: string;
  readonly steps: readonly string[];
  /** Runs the job once. Resolves with the result, also for failures; rejects only if the lock or audit cannot start. */
  run(options?: { signal?: AbortSignal }): Promise<JobRunResult>;
}

/**
 * A job: steps that run in dependency order. A failed step marks everything downstream `skipped`; independent
 * branches carry on, up to `concurrency` steps at a time.
 *
 * @example
 * const nightly = job('orders', [extract, transform, load], { audit, lock: { leases } });
 * const result = await nightly.run();
 * if (result.status === 'failed') process.exitCode = 1;
 */
export function job(name: string, steps: readonly unknown[], options: JobOptions = {}): Job {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionError('name', 'a non-empty string', name);
  if (!Array.isArray(steps) || steps.length === 0) {
    throw new InvalidOptionError('steps', 'a non-empty array of steps made by step()', steps);
  }
  const defs = steps.map((s, i) => {
    const def = stepDefinition(s);
    if (!def) throw new InvalidOptionError(`steps[${i}]`, 'a step made by step() or @step()', s);
    return def;
  });
  const graph = buildGraph(name, defs);
  const byName = new Map(defs.map((d) => [d.name, d]));
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidOptionError('concurrency', 'a positive integer', concurrency);
  }
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? noopLogger).child({ pipeline: name });
  const hooks = options.hooks === undefined ? [] : Array.isArray(options.hooks) ? options.hooks : [options.hooks];
  if (options.alerts) assertAlertOptions(options.alerts);
  if (options.audit !== undefined && typeof options.audit?.startRun !== 'function') {
    throw new InvalidOptionError('audit', 'a RunAudit made by createRunAudit()', options.audit);
  }
  if (options.lock !== undefined && typeof options.lock?.leases?.acquire !== 'function') {
    throw new InvalidOptionError('lock.leases', 'a LeaseStore made by createLeaseStore()', options.lock?.leases);
  }
  const holder = options.lock?.holder ?? `${hostname()}:${process.pid}`;
  let lastStatus: 'succeeded' | 'failed' | undefined;

  const run = async (runOptions: { signal?: AbortSignal } = {}): Promise<JobRunResult> => {
    const runId = randomUUID();
    const startedAt = clock.now();
    const lease = options.lock ? await holdLease(name, holder, options.lock, clock, logger) : undefined;
    if (lease && !lease.acquired) {
      const now = clock.now();
      return {
        ...emptyResult(name, runId, startedAt, now),
        status: 'already_running',
        heldBy: lease.heldBy,
        error: new AlreadyRunningError(name, lease.heldBy),
      };
    }
    const held = lease?.acquired ? lease : undefined;
    try {
      const previous = options.audit ? (await options.audit.lastFinished(name))?.status : lastStatus;
      await options.audit?.startRun({
        runId,
        pipeline: name,
        startedAt: new Date(startedAt),
        fencingToken: held?.token(),
        abandonPrevious: held !== undefined,
      });
      const result = await execute(runId, startedAt, held, runOptions.signal);
      lastStatus = result.status === 'succeeded' ? 'succeeded' : 'failed';
      if (options.alerts) {
        result.alerts = await sendAlerts(options.alerts, result, previous, logger);
      }
      return result;
    } finally {
      await held?.stop();
    }
  };

  const execute = async (
    runId: string,
    startedAt: number,
    held: { token(): bigint; signal: AbortSignal } | undefined,
    userSignal: AbortSignal | undefined,
  ): Promise<JobRunResult> => {
    const observed = startObservers(name, runId, options, logger);
    const result = await executeSteps(runId, startedAt, held, userSignal, observed);
    await observed.finish(result.status === 'succeeded' ? undefined : (result.error ?? new RunAbortedError(name)));
    return result;
  };

  const executeSteps = async (
    runId: string,
    startedAt: number,
    held: { token(): bigint; signal: AbortSignal } | undefined,
    userSignal: AbortSignal | undefined,
    observed: Observers,
  ): Promise<JobRunResult> => {
    const signals = [held?.signal, userSignal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : new AbortController().signal;
    const results = new Map<string, StepRunResult>();
    const outputs = new Map<string, unknown>();
    let auditError: Error | undefined;
    const record = async (step: StepRunResult): Promise<void> => {
      results.set(step.name, step);
      if (!options.audit) return;
      try {
        await options.audit.recordStep(runId, step);
      } catch (error) {
        auditError ??= ensureError(error);
        logger.error({ err: error, runId, step: step.name }, 'could not record step in the run audit');
      }
    };

    const lock = options.lock;
    const checkLease = async (tx: SqlClient): Promise<void> => {
      if (!held || !lock) return;
      await lock.leases.check(tx, { name: lock.name ?? name, token: held.token() });
    };
    const runOne = async (stepName: string): Promise<boolean> => {
      const def = byName.get(stepName) as StepDefinition;
      const ctx = createContext(
        name,
        runId,
        def,
        signal,
        held?.token(),
        checkLease,
        logger,
        outputs,
        graph.dependencies,
      );
      const outcome = await executeStep(def, undefined, [ctx.context], {
        pipeline: name,
        runId,
        signal,
        clock,
        logger: logger.child({ step: def.name }),
        hooks,
        metrics: observed.metrics,
        lineageClient: options.lineage,
        lineageParent: observed.lineage,
        onAttempt: ctx.reset,
        collected: ctx.collected,
      });
      if (outcome.status === 'succeeded') outputs.set(stepName, outcome.value);
      await record({
        name: stepName,
        status: outcome.status,
        startedAt: new Date(outcome.startedAt),
        finishedAt: new Date(outcome.finishedAt),
        durationMs: outcome.finishedAt - outcome.startedAt,
        attempts: outcome.attempts,
        counts: outcome.counts,
        checksum: outcome.checksum,
        error: outcome.error,
        skippedBecause: undefined,
      });
      return outcome.status === 'succeeded';
    };
    const pendingSkips: Promise<void>[] = [];
    const skip = (stepName: string, because: string): void => {
      pendingSkips.push(record(skippedStep(stepName, because)));
    };
    const stopped = (): string | undefined =>
      signal.aborted ? `run aborted: ${ensureError(signal.reason).message}` : undefined;

    await schedule(graph, concurrency, runOne, skip, stopped);
    await Promise.all(pendingSkips);

    const steps = graph.names.map((n) => results.get(n) as StepRunResult);
    const counts = zeroCounts();
    for (const s of steps) addCounts(counts, s.counts);
    const failed = steps.find((s) => s.status === 'failed');
    const aborted = signal.aborted ? new RunAbortedError(name, { cause: signal.reason }) : undefined;
    const anySkipped = steps.some((s) => s.status === 'skipped');
    const status = failed || aborted || anySkipped ? 'failed' : 'succeeded';
    const error = failed?.error ?? aborted;
    const finishedAt = clock.now();
    if (options.audit) {
      try {
        await options.audit.finishRun({
          runId,
          status,
          finishedAt: new Date(finishedAt),
          durationMs: finishedAt - startedAt,
          counts,
          failedStep: failed?.name,
          error: error?.message,
        });
      } catch (finishError) {
        auditError ??= ensureError(finishError);
        logger.error({ err: finishError, runId }, 'could not record the end of the run in the run audit');
      }
    }
    return {
      ...emptyResult(name, runId, startedAt, finishedAt),
      status,
      steps,
      counts,
      error,
      fencingToken: held?.token(),
      auditError,
    };
  };

  return { name, steps: graph.names, run };
}

function emptyResult(pipeline: string, runId: string, startedAt: number, finishedAt: number): JobRunResult {
  return {
    pipeline,
    runId,
    status: 'succeeded',
    startedAt: new Date(startedAt),
    finishedAt: new Date(finishedAt),
    durationMs: finishedAt - startedAt,
    steps: [],
    counts: zeroCounts(),
    error: undefined,
    fencingToken: undefined,
    heldBy: undefined,
    alerts: [],
    auditError: undefined,
  };
}

function skippedStep(name: string, because: string): StepRunResult {
  return {
    name,
    status: 'skipped',
    startedAt: undefined,
    finishedAt: undefined,
    durationMs: 0,
    attempts: 0,
    counts: zeroCounts(),
    checksum: undefined,
    error: undefined,
    skippedBecause: because,
  };
}
