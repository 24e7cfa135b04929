import { PipewrightError } from '@pipewright/core';

/** A commit, renewal or release carried a fencing token that is no longer current for its state key. */
export class StaleLeaseError extends PipewrightError {
  readonly stateKey: string;
  readonly token: number | undefined;
  readonly currentToken: number | undefined;
  constructor(stateKey: string, token: number | undefined, currentToken: number | undefined) {
    super(
      'PW_WATERMARK_STALE_LEASE',
      `State key "${stateKey}": fencing token ${token ?? '(none)'} is stale (current token ${currentToken ?? '(none)'}); another runner holds or took over the lease, so this runner must stop without writing`,
      { kind: 'fatal' },
    );
    this.stateKey = stateKey;
    this.token = token;
    this.currentToken = currentToken;
  }
}

/** `acquire` found the lease of a state key held by another owner and not yet expired. */
export class LeaseHeldError extends PipewrightError {
  readonly stateKey: string;
  readonly owner: string | undefined;
  readonly expiresAt: number | undefined;
  constructor(stateKey: string, owner: string | undefined, expiresAt: number | undefined) {
    super(
      'PW_WATERMARK_LEASE_HELD',
      `State key "${stateKey}" is leased by ${owner === undefined ? 'another runner' : `"${owner}"`} until ${expiresAt === undefined ? 'unknown' : new Date(expiresAt).toISOString()}`,
      { kind: 'transient' },
    );
    this.stateKey = stateKey;
    this.owner = owner;
    this.expiresAt = expiresAt;
  }
}

/** The next page was requested before the previous page was committed (state would fall behind the data). */
export class UncommittedPageError extends PipewrightError {
  constructor(stateKey: string) {
    super(
      'PW_WATERMARK_UNCOMMITTED_PAGE',
      `State key "${stateKey}": the next page was requested before the previous page's commit() resolved; call page.commit() after writing each page`,
      { kind: 'fatal' },
    );
  }
}

/** The cursor column has a type that cannot be compared safely as an instant or a monotonic number. */
export class CursorTypeError extends PipewrightError {
  readonly column: string;
  readonly type: string;
  constructor(column: string, type: string, hint: string) {
    super('PW_WATERMARK_CURSOR_TYPE', `Cursor column "${column}" has type ${type}: ${hint}`, { kind: 'fatal' });
    this.column = column;
    this.type = type;
  }
}

/** Transactions that were in flight when the upper bound was taken did not finish within the timeout. */
export class InFlightTimeoutError extends PipewrightError {
  readonly xids: readonly string[];
  constructor(xids: readonly string[], timeoutMs: number) {
    super(
      'PW_WATERMARK_IN_FLIGHT_TIMEOUT',
      `Transactions ${xids.slice(0, 10).join(', ')}${xids.length > 10 ? '…' : ''} were still in progress ${timeoutMs} ms after the upper bound was taken; retry later or raise \`inFlightTimeout\``,
      { kind: 'transient' },
    );
    this.xids = xids;
  }
}

/** A stored position does not have the shape this extractor writes (another extractor, or a manual edit). */
export class PositionError extends PipewrightError {
  constructor(stateKey: string, detail: string) {
    super('PW_WATERMARK_POSITION', `State key "${stateKey}": ${detail}`, { kind: 'fatal' });
  }
}

/** A record's cursor or key cannot be compared safely; it goes to `onInvalid` (the dead-letter path) when given. */
export class InvalidRecordError extends PipewrightError {
  readonly record: unknown;
  constructor(record: unknown, reason: string) {
    super('PW_WATERMARK_INVALID_RECORD', `Record skipped by the incremental filter: ${reason}`, { kind: 'record' });
    this.record = record;
  }
}

/** A source declared `ordered` yielded a record before the previous one in `(cursor, key)` order. */
export class UnorderedSourceError extends PipewrightError {
  constructor(previous: string, current: string) {
    super(
      'PW_WATERMARK_UNORDERED',
      `The source is not ordered by (cursor, key): ${current} came after ${previous}; sort it or drop \`ordered: true\``,
      { kind: 'fatal' },
    );
  }
}

/** Logical replication needs `wal_level = logical`; the message names the fix. */
export class WalLevelError extends PipewrightError {
  readonly walLevel: string;
  constructor(walLevel: string) {
    super(
      'PW_WATERMARK_WAL_LEVEL',
      `CDC needs wal_level = logical, but the server runs with wal_level = ${walLevel}: run "ALTER SYSTEM SET wal_level = logical" as a superuser and restart PostgreSQL (on managed services, set the logical replication parameter, e.g. rds.logical_replication = 1)`,
      { kind: 'fatal' },
    );
    this.walLevel = walLevel;
  }
}
