export type { AppendDedupOptions, AppendDedupResult } from './append-dedup.ts';
export { appendDedup } from './append-dedup.ts';
export type { CreateTableOptions } from './create-table.ts';
export { createTable, tableMigration } from './create-table.ts';
export type { DeleteInsertOptions, DeleteInsertResult, RowPredicate } from './delete-insert.ts';
export { deleteInsert } from './delete-insert.ts';
export { JournalError, TableSpecError } from './errors.ts';
export { batchId, canonicalHash, canonicalize, rowHash } from './hash.ts';
export type { RecordFailure } from './internal/batch.ts';
export type { DeleteOption } from './internal/merge-sql.ts';
export type {
  BatchJournal,
  BatchJournalOptions,
  BatchState,
  JournalCounts,
  JournalEntry,
  JournalMergeOptions,
  JournalResult,
  RecoverOptions,
  RecoveryReport,
} from './journal.ts';
export { batchJournal } from './journal.ts';
export type { MergeOptions, MergeResult } from './merge.ts';
export { merge } from './merge.ts';
export type { ReplacePartitionOptions, ReplacePartitionResult } from './replace-partition.ts';
export { replacePartition } from './replace-partition.ts';
export type { ColumnSpec, TableDefinition, WriterColumn, WriterTable } from './table.ts';
export { defineTable } from './table.ts';
export type { FromZodOptions } from './zod.ts';
export { tableFromZod } from './zod.ts';
