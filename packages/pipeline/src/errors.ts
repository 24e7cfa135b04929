import { PipewrightError } from '@pipewright/core';

/** A job's steps cannot run as declared: duplicate names, an unknown dependency, or a cycle. */
export class JobDefinitionError extends PipewrightError {
  readonly job: string;
  constructor(job: string, problem: string) {
    super('PW_JOB_DEFINITION', `Job "${job}" is not runnable: ${problem}`, { kind: 'fatal' });
    this.job = job;
  }
}

/**
 * The lease this process held was taken over (its fencing token is no longer the current one) or could not be
 * renewed before it expired. Whatever was about to be committed under that token must not be.
 */
export class LeaseLostError extends PipewrightError {
  readonly lease: string;
  readonly token: bigint;
  constructor(lease: string, token: bigint, detail: string) {
    super('PW_LEASE_LOST', `Lease "${lease}" with fencing token ${token} is no longer held: ${detail}`, {
      kind: 'fatal',
    });
    this.lease = lease;
    this.token = token;
  }
}

/** A step did not run because the run was aborted (lease lost or the caller's signal) before it started. */
export class RunAbortedError extends PipewrightError {
  constructor(job: string, options?: { cause?: unknown }) {
    super('PW_RUN_ABORTED', `Run of job "${job}" was aborted`, { ...options, kind: 'fatal' });
  }
}

/** An alert could not be delivered after its retries; reported in the run result, never thrown into the job. */
export class AlertDeliveryError extends PipewrightError {
  readonly status: number | undefined;
  constructor(target: string, detail: string, options?: { cause?: unknown; status?: number }) {
    super('PW_ALERT_DELIVERY', `Alert to ${target} was not delivered: ${detail}`, {
      kind: 'transient',
      cause: options?.cause,
    });
    this.status = options?.status;
  }
}

/** Put in `result.error` when a run did not start because another run of the pipeline holds its lock. */
export class AlreadyRunningError extends PipewrightError {
  readonly pipeline: string;
  constructor(pipeline: string, heldBy: { holder: string; token: bigint; expiresAt: Date } | undefined) {
    super(
      'PW_ALREADY_RUNNING',
      heldBy
        ? `Pipeline "${pipeline}" is already running (held by ${heldBy.holder} with token ${heldBy.token} until ${heldBy.expiresAt.toISOString()}); this start did nothing`
        : `Pipeline "${pipeline}" is already running; this start did nothing`,
      { kind: 'transient' },
    );
    this.pipeline = pipeline;
  }
}
