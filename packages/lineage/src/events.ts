import type { Clock } from '@pipewright/core';
import { systemClock } from '@pipewright/core';
import { InvalidLineageInputError } from './errors.ts';
import type { BaseFacet } from './facets/base.ts';
import { assertUri, DEFAULT_PRODUCER, OPENLINEAGE_SPEC_URL } from './facets/base.ts';
import type {
  ColumnLineageDatasetFacet,
  DataQualityMetricsFacet,
  DatasourceDatasetFacet,
  SchemaDatasetFacet,
  StatisticsFacet,
} from './facets/dataset.ts';
import type { DataQualityAssertionsFacet } from './facets/quality.ts';
import type {
  DocumentationJobFacet,
  ErrorMessageRunFacet,
  JobTypeJobFacet,
  NominalTimeRunFacet,
  ParentRunFacet,
  ProcessingEngineRunFacet,
  SqlJobFacet,
} from './facets/run.ts';
import { isUuid, uuidv7At } from './internal/uuid.ts';

/** The run's transition. One START and one of COMPLETE/ABORT/FAIL per run; RUNNING and OTHER in between/after. */
export type RunEventType = 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';

export const RUN_EVENT_TYPES: readonly RunEventType[] = Object.freeze([
  'START',
  'RUNNING',
  'COMPLETE',
  'ABORT',
  'FAIL',
  'OTHER',
]);

export interface RunFacets {
  errorMessage?: ErrorMessageRunFacet;
  parent?: ParentRunFacet;
  nominalTime?: NominalTimeRunFacet;
  processing_engine?: ProcessingEngineRunFacet;
  [custom: string]: BaseFacet | undefined;
}

export interface JobFacets {
  jobType?: JobTypeJobFacet;
  sql?: SqlJobFacet;
  documentation?: DocumentationJobFacet;
  [custom: string]: BaseFacet | undefined;
}

export interface DatasetFacets {
  schema?: SchemaDatasetFacet;
  columnLineage?: ColumnLineageDatasetFacet;
  dataSource?: DatasourceDatasetFacet;
  dataQualityMetrics?: DataQualityMetricsFacet;
  dataQualityAssertions?: DataQualityAssertionsFacet;
  [custom: string]: BaseFacet | undefined;
}

export interface InputDatasetFacets {
  inputStatistics?: StatisticsFacet;
  dataQualityMetrics?: DataQualityMetricsFacet;
  dataQualityAssertions?: DataQualityAssertionsFacet;
  [custom: string]: BaseFacet | undefined;
}

export interface OutputDatasetFacets {
  outputStatistics?: StatisticsFacet;
  [custom: string]: BaseFacet | undefined;
}

export interface Dataset {
  namespace: string;
  name: string;
  facets?: DatasetFacets;
}

export interface InputDataset extends Dataset {
  inputFacets?: InputDatasetFacets;
}

export interface OutputDataset extends Dataset {
  outputFacets?: OutputDatasetFacets;
}

export interface Job {
  namespace: string;
  name: string;
  facets?: JobFacets;
}

export interface Run {
  runId: string;
  facets?: RunFacets;
}

interface BaseEvent {
  eventTime: string;
  producer: string;
  schemaURL: string;
}

export interface RunEvent extends BaseEvent {
  eventType: RunEventType;
  run: Run;
  job: Job;
  inputs: InputDataset[];
  outputs: OutputDataset[];
}

export interface DatasetEvent extends BaseEvent {
  dataset: Dataset;
}

export interface JobEvent extends BaseEvent {
  job: Job;
  inputs: InputDataset[];
  outputs: OutputDataset[];
}

/** Anything a transport carries. */
export type LineageEvent = RunEvent | DatasetEvent | JobEvent;

/** Options shared by the event builders. */
export interface EventOptions {
  /** @default now, from `clock` */
  eventTime?: Date | string;
  /** URI identifying your code. @default DEFAULT_PRODUCER */
  producer?: string;
  /** @default systemClock */
  clock?: Clock;
}

export interface RunEventInput extends EventOptions {
  eventType: RunEventType;
  job: Job;
  /** @default a new UUIDv7 */
  run?: { runId?: string; facets?: RunFacets };
  inputs?: InputDataset[];
  outputs?: OutputDataset[];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function time(options: EventOptions): string {
  const value = options.eventTime;
  if (value === undefined) return new Date((options.clock ?? systemClock).now()).toISOString();
  if (typeof value === 'string') {
    if (RFC3339.test(value)) return value; // kept as given: it may carry microseconds or an offset
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new InvalidLineageInputError('eventTime', 'an ISO-8601 date-time', value);
    return new Date(ms).toISOString(); // e.g. a date alone: the spec wants a full date-time
  }
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidLineageInputError('eventTime', 'a valid Date', value);
  }
  return value.toISOString();
}

function producerOf(options: EventOptions): string {
  return options.producer === undefined ? DEFAULT_PRODUCER : assertUri('producer', options.producer);
}

function checkNamed(field: string, value: { namespace?: unknown; name?: unknown } | undefined): void {
  if (typeof value?.namespace !== 'string' || value.namespace === '') {
    throw new InvalidLineageInputError(`${field}.namespace`, 'a non-empty string', value?.namespace);
  }
  if (typeof value.name !== 'string' || value.name === '') {
    throw new InvalidLineageInputError(`${field}.name`, 'a non-empty string', value.name);
  }
}

function checkDatasets<T extends Dataset>(field: string, list: T[] | undefined): T[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new InvalidLineageInputError(field, 'an array of datasets', list);
  for (let i = 0; i < list.length; i++) checkNamed(`${field}[${i}]`, list[i]);
  return list;
}

const EVENT_TYPES = new Set<string>(RUN_EVENT_TYPES);

/**
 * A RunEvent (spec 2-0-2). Validates what the spec requires and defaults the rest: a UUIDv7 run id, the current
 * time, this package as producer. Treat the event as immutable once emitted.
 */
export function runEvent(input: RunEventInput): RunEvent {
  if (!EVENT_TYPES.has(input?.eventType)) {
    throw new InvalidLineageInputError('eventType', RUN_EVENT_TYPES.join(' | '), input?.eventType);
  }
  checkNamed('job', input.job);
  const runId = input.run?.runId ?? uuidv7At((input.clock ?? systemClock).now());
  if (!isUuid(runId)) throw new InvalidLineageInputError('run.runId', 'a UUID', runId);
  const run: Run = input.run?.facets ? { runId, facets: input.run.facets } : { runId };
  return {
    eventType: input.eventType,
    eventTime: time(input),
    producer: producerOf(input),
    schemaURL: `${OPENLINEAGE_SPEC_URL}#/$defs/RunEvent`,
    run,
    job: input.job,
    inputs: checkDatasets('inputs', input.inputs),
    outputs: checkDatasets('outputs', input.outputs),
  };
}

/** A DatasetEvent: metadata about a dataset outside any run (e.g. its schema changed). */
export function datasetEvent(input: EventOptions & { dataset: Dataset }): DatasetEvent {
  checkNamed('dataset', input?.dataset);
  return {
    eventTime: time(input),
    producer: producerOf(input),
    schemaURL: `${OPENLINEAGE_SPEC_URL}#/$defs/DatasetEvent`,
    dataset: input.dataset,
  };
}

/** A JobEvent: a job's static metadata and its usual inputs/outputs, outside any run. */
export function jobEvent(
  input: EventOptions & { job: Job; inputs?: InputDataset[]; outputs?: OutputDataset[] },
): JobEvent {
  checkNamed('job', input?.job);
  return {
    eventTime: time(input),
    producer: producerOf(input),
    schemaURL: `${OPENLINEAGE_SPEC_URL}#/$defs/JobEvent`,
    job: input.job,
    inputs: checkDatasets('inputs', input.inputs),
    outputs: checkDatasets('outputs', input.outputs),
  };
}

/** True for a RunEvent (as opposed to a DatasetEvent or JobEvent). */
export function isRunEvent(event: LineageEvent): event is RunEvent {
  return (event as RunEvent).run !== undefined;
}

/** The ordering key of an event: its run, or its job/dataset for static events. */
export function orderingKey(event: LineageEvent): string {
  if ((event as RunEvent).run !== undefined) return (event as RunEvent).run.runId;
  const job = (event as JobEvent).job;
  if (job !== undefined) return `job:${job.namespace}/${job.name}`;
  const dataset = (event as DatasetEvent).dataset;
  return `dataset:${dataset.namespace}/${dataset.name}`;
}
