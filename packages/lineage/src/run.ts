import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from '@pipewright/core';
import { PipewrightError, systemClock } from '@pipewright/core';
import type { EmitterOptions } from './emitter.ts';
import { LineageEmitter } from './emitter.ts';
import type { InputDataset, Job, JobFacets, OutputDataset, RunEventType, RunFacets } from './events.ts';
import { runEvent } from './events.ts';
import { assertString, assertUri, DEFAULT_PRODUCER } from './facets/base.ts';
import type { RunRef } from './facets/run.ts';
import { errorMessageFacet, nominalTimeFacet, parentRunFacet, processingEngineFacet } from './facets/run.ts';
import { uuidv7At } from './internal/uuid.ts';

/** A run was told to finish twice, or to do something after it finished. */
export class LineageRunStateError extends PipewrightError {
  constructor(runId: string, state: string, attempted: RunEventType) {
    super('PW_LINEAGE_RUN_STATE', `Run ${runId} is already ${state}: ${attempted} not emitted`);
  }
}

/** What an event of a run may add or replace. */
export interface RunUpdate {
  /** Replace the inputs given at start. */
  inputs?: InputDataset[];
  /** Replace the outputs given at start (e.g. with `outputStatistics`). */
  outputs?: OutputDataset[];
  runFacets?: RunFacets;
  jobFacets?: JobFacets;
  eventTime?: Date;
}

// The run whose tracked code is executing: runs started inside it become its children.
const currentRunStore = new AsyncLocalStorage<LineageRun>();

/** The run started by the enclosing `track()` / `withLineage()` / `@lineageRun` call, if any. */
export function currentRun(): LineageRun | undefined {
  return currentRunStore.getStore();
}

export interface StartRunOptions extends RunUpdate {
  /** @default a new UUIDv7; pass `deterministicRunId(…)` to make re-emission idempotent */
  runId?: string;
  /**
   * The enclosing run, when this run is a step inside a job. @default the run of the enclosing `track()` call
   * (pass `null` for none)
   */
  parent?: LineageRun | RunRef | null;
  /** The outermost run, when there are several levels. @default the parent's root */
  root?: RunRef;
  /** The scheduled window of the run (`nominalTime` facet). */
  nominalTime?: { start: Date | string; end?: Date | string };
  /** Job namespace of this run. @default the client's namespace */
  namespace?: string;
}

export interface LineageOptions extends EmitterOptions {
  /** Job namespace, usually the scheduler or team. @default 'default' */
  namespace?: string;
  /** URI identifying your job's code. @default DEFAULT_PRODUCER */
  producer?: string;
}

/**
 * The lifecycle of one run: START when created, then RUNNING/OTHER as you like, and exactly one of
 * COMPLETE, FAIL or ABORT. A second terminal event is not emitted; it is reported to `onError` instead.
 */
export class LineageRun {
  readonly runId: string;
  readonly job: Job;
  /** The outermost run (this one when it has no parent). */
  readonly root: RunRef;
  readonly #lineage: Lineage;
  readonly #inputs: InputDataset[];
  readonly #outputs: OutputDataset[];
  readonly #runFacets: RunFacets;
  #state: 'running' | 'COMPLETE' | 'FAIL' | 'ABORT' = 'running';

  constructor(lineage: Lineage, job: Job, runId: string, options: StartRunOptions, runFacets: RunFacets, root: RunRef) {
    this.#lineage = lineage;
    this.job = job;
    this.runId = runId;
    this.root = root;
    this.#inputs = options.inputs ?? [];
    this.#outputs = options.outputs ?? [];
    this.#runFacets = runFacets;
  }

  /** Whether COMPLETE, FAIL or ABORT was emitted. */
  get finished(): boolean {
    return this.#state !== 'running';
  }

  /** A reference to this run, e.g. for a child run's `parent`. */
  get ref(): RunRef {
    return { runId: this.runId, namespace: this.job.namespace, name: this.job.name };
  }

  /** @internal */
  emitEvent(eventType: RunEventType, update: RunUpdate = {}): boolean {
    const terminal = eventType === 'COMPLETE' || eventType === 'FAIL' || eventType === 'ABORT';
    if (this.#state !== 'running' && eventType !== 'OTHER') {
      this.#lineage.reportError(new LineageRunStateError(this.runId, this.#state, eventType));
      return false;
    }
    if (terminal) this.#state = eventType;
    const job: Job = update.jobFacets ? { ...this.job, facets: { ...this.job.facets, ...update.jobFacets } } : this.job;
    const facets = update.runFacets ? { ...this.#runFacets, ...update.runFacets } : this.#runFacets;
    return this.#lineage.emit(
      runEvent({
        eventType,
        job,
        run: { runId: this.runId, facets },
        inputs: update.inputs ?? this.#inputs,
        outputs: update.outputs ?? this.#outputs,
        producer: this.#lineage.producer,
        clock: this.#lineage.clock,
        ...(update.eventTime ? { eventTime: update.eventTime } : {}),
      }),
    );
  }

  running(update?: RunUpdate): boolean {
    return this.emitEvent('RUNNING', update);
  }

  complete(update?: RunUpdate): boolean {
    return this.emitEvent('COMPLETE', update);
  }

  /** FAIL with an `errorMessage` facet (credentials removed from message and stack). */
  fail(error: unknown, update: RunUpdate = {}): boolean {
    const errorMessage = errorMessageFacet(error, { producer: this.#lineage.producer });
    return this.emitEvent('FAIL', { ...update, runFacets: { ...update.runFacets, errorMessage } });
  }

  abort(update?: RunUpdate): boolean {
    return this.emitEvent('ABORT', update);
  }

  /** Extra metadata at any time, also after the run finished. */
  other(update?: RunUpdate): boolean {
    return this.emitEvent('OTHER', update);
  }

  /** Starts a run of another job as a step inside this one (`parent` facet). */
  child(jobName: string, options: Omit<StartRunOptions, 'parent'> = {}): LineageRun {
    return this.#lineage.startRun(jobName, { ...options, parent: this });
  }
}

/** An emitter that also knows your job namespace and builds runs. */
export class Lineage extends LineageEmitter {
  readonly namespace: string;
  readonly producer: string;
  readonly clock: Clock;

  constructor(options: LineageOptions = {}) {
    super(options);
    this.namespace = options.namespace === undefined ? 'default' : assertString('namespace', options.namespace);
    this.producer = options.producer === undefined ? DEFAULT_PRODUCER : assertUri('producer', options.producer);
    this.clock = options.clock ?? systemClock;
  }

  /** Emits START for a run of `jobName` and returns its handle. */
  startRun(jobName: string, options: StartRunOptions = {}): LineageRun {
    assertString('jobName', jobName);
    const namespace = options.namespace === undefined ? this.namespace : assertString('namespace', options.namespace);
    const runId = options.runId ?? uuidv7At(this.clock.now());
    const runFacets: RunFacets = { processing_engine: processingEngineFacet(undefined, { producer: this.producer }) };
    let root: RunRef = { runId, namespace, name: jobName };
    const parentRun = options.parent === undefined ? currentRunStore.getStore() : options.parent;
    if (parentRun) {
      const parent = parentRun instanceof LineageRun ? parentRun.ref : parentRun;
      root = options.root ?? (parentRun instanceof LineageRun ? parentRun.root : parent);
      runFacets.parent = parentRunFacet(parent, root, { producer: this.producer });
    }
    if (options.nominalTime) {
      runFacets.nominalTime = nominalTimeFacet(options.nominalTime.start, options.nominalTime.end, {
        producer: this.producer,
      });
    }
    Object.assign(runFacets, options.runFacets);
    const job: Job = options.jobFacets
      ? { namespace, name: jobName, facets: options.jobFacets }
      : { namespace, name: jobName };
    const run = new LineageRun(this, job, runId, options, runFacets, root);
    run.emitEvent('START', { ...(options.eventTime ? { eventTime: options.eventTime } : {}) });
    return run;
  }

  /**
   * Runs `fn` inside a run: START before, COMPLETE after, FAIL (with the error) if it throws — and rethrows.
   * `fn` gets the run, to add outputs with statistics at the end: `run.complete({ outputs })` is respected.
   * Runs started inside `fn` (directly or through nested `track` calls) get this run as their parent.
   */
  async track<T>(jobName: string, fn: (run: LineageRun) => Promise<T> | T, options?: StartRunOptions): Promise<T> {
    const run = this.startRun(jobName, options);
    try {
      const result = await currentRunStore.run(run, () => fn(run));
      if (!run.finished) run.complete();
      return result;
    } catch (error) {
      if (!run.finished) run.fail(error);
      throw error;
    }
  }
}

/**
 * Creates a lineage client: an emitter (bounded buffer, background delivery) plus run helpers.
 *
 * @example
 * const lineage = createLineage({ namespace: 'shop-etl', transport: fileTransport({ path: 'lineage.ndjson' }) });
 * await lineage.track('orders.sync', async () => sync());
 * await lineage.close();
 */
export function createLineage(options?: LineageOptions): Lineage {
  return new Lineage(options);
}
