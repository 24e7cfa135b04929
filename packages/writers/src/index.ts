export { JournalError, TableSpecError } from './errors.ts';
export type { RecordFailure } from './internal/batch.ts';
export type { MergeOptions, MergeResult } from './merge.ts';
export { merge } from './merge.ts';
export type { ColumnSpec, TableDefinition, WriterColumn, WriterTable } from './table.ts';
export { defineTable } from './table.ts';
export type { FromZodOptions } from './zod.ts';
export { tableFromZod } from './zod.ts';
