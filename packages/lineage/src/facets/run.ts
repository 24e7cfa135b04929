import { ensureError } from '@pipewright/core';
import { InvalidLineageInputError } from '../errors.ts';
import { isUuid } from '../internal/uuid.ts';
import { redactSecrets } from '../redact.ts';
import { VERSION } from '../version.ts';
import type { BaseFacet, DeletableFacet, FacetOptions } from './base.ts';
import { assertString, facetUrl, stamp, toIsoTime } from './base.ts';

export interface ErrorMessageRunFacet extends BaseFacet {
  message: string;
  programmingLanguage: string;
  stackTrace?: string;
}

export interface ErrorMessageOptions extends FacetOptions {
  /** @default 'JavaScript' */
  programmingLanguage?: string;
  /** Include the stack trace (with its `cause` chain). @default true */
  stack?: boolean;
}

/**
 * `errorMessage` for a FAIL event, from anything thrown. Credentials in the message or stack (URL user info,
 * `password=…`, bearer tokens) are removed.
 */
export function errorMessageFacet(error: unknown, options?: ErrorMessageOptions): ErrorMessageRunFacet {
  const err = ensureError(error);
  const facet: ErrorMessageRunFacet = {
    ...stamp(options, facetUrl('1-0-1', 'ErrorMessageRunFacet')),
    message: redactSecrets(`${err.name}: ${err.message}`),
    programmingLanguage: options?.programmingLanguage ?? 'JavaScript',
  };
  if (options?.stack !== false && err.stack) {
    let stack = err.stack;
    let cause: unknown = err.cause;
    for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
      stack += `\nCaused by: ${cause.stack ?? `${cause.name}: ${cause.message}`}`;
      cause = cause.cause;
    }
    facet.stackTrace = redactSecrets(stack);
  }
  return facet;
}

/** A run and its job, as referenced by a child run. */
export interface RunRef {
  runId: string;
  namespace: string;
  name: string;
}

export interface ParentRunFacet extends BaseFacet {
  run: { runId: string };
  job: { namespace: string; name: string };
  root?: { run: { runId: string }; job: { namespace: string; name: string } };
}

function checkRef(field: string, ref: RunRef): RunRef {
  if (!isUuid(ref?.runId)) throw new InvalidLineageInputError(`${field}.runId`, 'a UUID', ref?.runId);
  assertString(`${field}.namespace`, ref.namespace);
  assertString(`${field}.name`, ref.name);
  return ref;
}

/**
 * `parent`: this run is a step inside `parent` (a task inside a DAG run, a step inside a pipeline run).
 * `root` names the outermost run when there are several levels.
 */
export function parentRunFacet(parent: RunRef, root?: RunRef, options?: FacetOptions): ParentRunFacet {
  checkRef('parent', parent);
  const facet: ParentRunFacet = {
    ...stamp(options, facetUrl('1-2-0', 'ParentRunFacet')),
    run: { runId: parent.runId },
    job: { namespace: parent.namespace, name: parent.name },
  };
  if (root !== undefined) {
    checkRef('root', root);
    facet.root = { run: { runId: root.runId }, job: { namespace: root.namespace, name: root.name } };
  }
  return facet;
}

export interface NominalTimeRunFacet extends BaseFacet {
  nominalStartTime: string;
  nominalEndTime?: string;
}

/** `nominalTime`: the scheduled window this run covers (start included, end excluded). */
export function nominalTimeFacet(
  start: Date | string,
  end?: Date | string,
  options?: FacetOptions,
): NominalTimeRunFacet {
  const facet: NominalTimeRunFacet = {
    ...stamp(options, facetUrl('1-0-1', 'NominalTimeRunFacet')),
    nominalStartTime: toIsoTime('nominalStartTime', start),
  };
  if (end !== undefined) facet.nominalEndTime = toIsoTime('nominalEndTime', end);
  return facet;
}

export interface ProcessingEngineRunFacet extends BaseFacet {
  version: string;
  name?: string;
  openlineageAdapterVersion?: string;
}

/**
 * `processing_engine`: what ran the job.
 * @default { name: 'nodejs', version: process.versions.node, openlineageAdapterVersion: this package's version }
 */
export function processingEngineFacet(
  engine?: { name?: string; version?: string; openlineageAdapterVersion?: string },
  options?: FacetOptions,
): ProcessingEngineRunFacet {
  return {
    ...stamp(options, facetUrl('1-1-1', 'ProcessingEngineRunFacet')),
    version: engine?.version ?? process.versions.node,
    name: engine?.name ?? 'nodejs',
    openlineageAdapterVersion: engine?.openlineageAdapterVersion ?? VERSION,
  };
}

export interface JobTypeJobFacet extends DeletableFacet {
  processingType: string;
  integration: string;
  jobType?: string;
}

/**
 * `jobType`: how the job runs.
 * @default { processingType: 'BATCH', integration: 'PIPEWRIGHT', jobType: 'JOB' }
 */
export function jobTypeFacet(
  type?: { processingType?: 'BATCH' | 'STREAMING' | 'SERVICE' | (string & {}); integration?: string; jobType?: string },
  options?: FacetOptions,
): JobTypeJobFacet {
  return {
    ...stamp(options, facetUrl('2-0-4', 'JobTypeJobFacet')),
    processingType: type?.processingType ?? 'BATCH',
    integration: type?.integration ?? 'PIPEWRIGHT',
    jobType: type?.jobType ?? 'JOB',
  };
}

export interface SqlJobFacet extends DeletableFacet {
  query: string;
  dialect?: string;
}

/** `sql`: the query the job runs. Literal values belong in parameters, not in the query text. */
export function sqlFacet(query: string, dialect: string | undefined = 'postgres', options?: FacetOptions): SqlJobFacet {
  const facet: SqlJobFacet = {
    ...stamp(options, facetUrl('1-1-0', 'SQLJobFacet')),
    query: assertString('query', query),
  };
  if (dialect !== undefined) facet.dialect = dialect;
  return facet;
}

export interface DocumentationJobFacet extends DeletableFacet {
  description: string;
  contentType?: string;
}

/** `documentation`: what the job does, for people browsing the lineage backend. */
export function documentationFacet(
  description: string,
  contentType?: string,
  options?: FacetOptions,
): DocumentationJobFacet {
  const facet: DocumentationJobFacet = {
    ...stamp(options, facetUrl('1-1-0', 'DocumentationJobFacet')),
    description: assertString('description', description),
  };
  if (contentType !== undefined) facet.contentType = contentType;
  return facet;
}
