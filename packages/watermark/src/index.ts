export type { Change, ChangeBatch, LogicalChangesOptions } from './cdc/changes.ts';
export { logicalChanges } from './cdc/changes.ts';
export type { CreateSlotOptions, SlotOptions } from './cdc/slot.ts';
export {
  assertLogicalReplication,
  checkWalLevel,
  compareLsn,
  createReplicationSlot,
  dropReplicationSlot,
  slotPosition,
} from './cdc/slot.ts';
export type { SnapshotChange, SnapshotDiffOptions, SnapshotPage } from './diff/snapshot.ts';
export { snapshotDiff } from './diff/snapshot.ts';
export {
  CursorTypeError,
  InFlightTimeoutError,
  InvalidRecordError,
  LeaseHeldError,
  PositionError,
  StaleLeaseError,
  UncommittedPageError,
  UnorderedSourceError,
  WalLevelError,
} from './errors.ts';
export type { IncrementalOptions } from './incremental.ts';
export { incremental } from './incremental.ts';
export { keysetPages } from './keyset/extract.ts';
export type { KeysetOptions, KeysetPage, KeysetPosition, KeysetSource, LeaseOptions } from './keyset/types.ts';
export type { PartitionedOptions, PartitionPage } from './partitions/pages.ts';
export { partitionedPages } from './partitions/pages.ts';
export type { Partition, PartitionClaim, PgPartitions, PgPartitionsOptions } from './partitions/store.ts';
export { pgPartitions } from './partitions/store.ts';
export type { FileStateStoreOptions } from './state/file.ts';
export { fileStateStore } from './state/file.ts';
export { memoryStateStore } from './state/memory.ts';
export { stateMigrations } from './state/migrations.ts';
export type { PgStateStore, PgStateStoreOptions } from './state/postgres.ts';
export { pgStateStore } from './state/postgres.ts';
export type { RedisLike, RedisStateStoreOptions } from './state/redis.ts';
export { redisStateStore } from './state/redis.ts';
export type {
  AcquireOptions,
  AuditEntry,
  CommitOptions,
  Lease,
  Position,
  RewindOptions,
  StateRecord,
  StateStore,
  StoreOptions,
} from './state/types.ts';
export { VERSION } from './version.ts';
