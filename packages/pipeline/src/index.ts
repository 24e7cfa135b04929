export { slackPayload } from './alerts/slack.ts';
export type { Alert, AlertDelivery, Notifier } from './alerts/types.ts';
export type { WebhookNotifierOptions } from './alerts/webhook.ts';
export { webhookNotifier } from './alerts/webhook.ts';
export type { AuditRun, AuditStep, RunAudit, RunAuditOptions, RunStatus } from './audit/audit.ts';
export { createRunAudit } from './audit/audit.ts';
export { auditMigrations } from './audit/migrations.ts';
export {
  AlertDeliveryError,
  AlreadyRunningError,
  JobDefinitionError,
  LeaseLostError,
  RunAbortedError,
} from './errors.ts';
export type { AlertOptions, Job, JobOptions, JobRunResult, LockOptions, StepRunResult } from './job.ts';
export { job } from './job.ts';
export type { AcquireResult, Lease, LeaseHolder, LeaseStore, LeaseStoreOptions } from './lease.ts';
export { createLeaseStore, leaseMigrations } from './lease.ts';
export type { Step, StepDecorator, StepDecoratorOptions, StepMeasure, StepOptions } from './step.ts';
export { step, stepsOf } from './step.ts';
export { incrementalSync } from './sync/incremental-sync.ts';
export type {
  DeadLetterSink,
  IncrementalSyncOptions,
  IncrementalSyncResult,
  SyncDeadLetter,
  SyncPage,
} from './sync/types.ts';
export type {
  LineageClientLike,
  LineageDataset,
  LineageRunLike,
  RetryPolicyLike,
  RunMetricsLike,
  SpanLike,
  StepContext,
  StepCounts,
  StepEndEvent,
  StepHooks,
  StepLineage,
  StepLineageEvent,
  StepMetricsLike,
  StepRetryEvent,
  StepRetryOptions,
  StepStartEvent,
  TracerLike,
} from './types.ts';
export { VERSION } from './version.ts';
