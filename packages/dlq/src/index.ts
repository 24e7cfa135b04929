export { decodeValue, encodeValue, toTagged } from './codec.ts';
export type { BatchCounts } from './errors.ts';
export {
  BatchAbortedError,
  DeadLetterNotFoundError,
  DeadLetterStateError,
  DeadLetterWriteInterruptedError,
  ErrorRateExceededError,
} from './errors.ts';
export type { DeadLetterQueueOptions } from './options.ts';
export type { PostgresDeadLetterQueueOptions } from './postgres.ts';
export { createPostgresDeadLetterQueue } from './postgres.ts';
export type { ProcessBatchOptions, ProcessBatchResult, RetryPolicyLike } from './process-batch.ts';
export { processBatch } from './process-batch.ts';
export type { RedactionOptions, Redactor } from './redact.ts';
export { createRedactor } from './redact.ts';
export type { RedisDeadLetterQueueOptions } from './redis.ts';
export { createRedisDeadLetterQueue } from './redis.ts';
export type {
  AuditEvent,
  CapturedError,
  DeadLetterEntry,
  DeadLetterFilter,
  DeadLetterInput,
  DeadLetterQueue,
  DeadLetterState,
  ListOptions,
  PurgeOptions,
  RedriveHandler,
  RedriveOptions,
  RedriveOutcome,
  RedriveResult,
  RedriveVerdict,
  RunRate,
  SendResult,
  StatsDimension,
  StatsRow,
  TransitionOptions,
} from './types.ts';
export { DEAD_LETTER_STATES } from './types.ts';
export { VERSION } from './version.ts';
