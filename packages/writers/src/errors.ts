import { PipewrightError } from '@pipewright/core';

/** A table definition (columns, key, types) is inconsistent. */
export class TableSpecError extends PipewrightError {
  constructor(message: string) {
    super('PW_WRITERS_TABLE_SPEC', message, { kind: 'fatal' });
  }
}

/** The batch journal is in a state that does not allow the requested transition. */
export class JournalError extends PipewrightError {
  readonly batchId: string;
  constructor(batchId: string, message: string, options?: { cause?: unknown }) {
    super('PW_WRITERS_JOURNAL', `Batch ${JSON.stringify(batchId)}: ${message}`, { ...options, kind: 'fatal' });
    this.batchId = batchId;
  }
}
