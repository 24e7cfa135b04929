export type { Classifier, ClassifierOptions } from './classify/classify.ts';
export { classify, createClassifier } from './classify/classify.ts';
export { parseRetryAfter } from './classify/retry-after.ts';
export {
  abortRule,
  defaultRules,
  explicitKindRule,
  httpRule,
  networkRule,
  pgConnectionRule,
  postgresRule,
  redisRule,
  zodRule,
} from './classify/rules.ts';
export type { Classification, ClassificationRule, RuleContext } from './classify/types.ts';
export type { Clock } from './clock.ts';
export { abortableSleep, FakeClock, systemClock } from './clock.ts';
export type { ErrorKind, PipewrightErrorOptions } from './errors.ts';
export {
  CapabilityError,
  describeValue,
  ensureError,
  FatalError,
  hasErrorCode,
  InvalidIdentifierError,
  InvalidOptionError,
  isPipewrightError,
  MigrationError,
  NonErrorThrownError,
  PipewrightError,
  RecordError,
  TransientError,
  UnsupportedClientError,
} from './errors.ts';
export type { TableRef } from './identifiers.ts';
export { assertIdentifier, MAX_IDENTIFIER_BYTES, qualifiedName, quoteIdentifier, resolveTable } from './identifiers.ts';
export type { Logger } from './logger.ts';
export { noopLogger } from './logger.ts';
export type { CreateSqlClientOptions } from './sql/client.ts';
export { createSqlClient } from './sql/client.ts';
export type { MigrateOptions, MigrateResult, Migration } from './sql/migrate.ts';
export { assertServerVersion, MIN_SERVER_VERSION_NUM, migrate } from './sql/migrate.ts';
export type {
  CopySource,
  CopyStreamsModule,
  IsolationLevel,
  QueryResult,
  SqlCapabilities,
  SqlClient,
  SqlClientKind,
  StreamOptions,
  TransactionOptions,
} from './sql/types.ts';
