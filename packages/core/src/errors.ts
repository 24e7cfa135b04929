/**
 * The Pipewright error family. Every error the SDK raises extends `PipewrightError`, carries a stable string
 * `code`, keeps its `cause`, and names the values involved in its message.
 */

const BRAND: unique symbol = Symbol.for('@pipewright/error') as never;

/** Classification kinds shared by retry, dead letters and pipelines. */
export type ErrorKind = 'transient' | 'record' | 'fatal';

export interface PipewrightErrorOptions {
  cause?: unknown;
}

/** Base class of every Pipewright error. Use `isPipewrightError()` rather than `instanceof` across installs. */
export class PipewrightError extends Error {
  /** Stable machine-readable code, e.g. `PW_INVALID_IDENTIFIER`. */
  readonly code: string;
  /** When set, `classify()` uses this kind without consulting its rules. */
  readonly kind: ErrorKind | undefined;

  constructor(code: string, message: string, options?: PipewrightErrorOptions & { kind?: ErrorKind }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = options?.kind;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any Pipewright error, even one created by another copy of this package. */
export function isPipewrightError(value: unknown): value is PipewrightError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** True when `value` is a Pipewright error with the given code (works across duplicate installs). */
export function hasErrorCode(value: unknown, code: string): value is PipewrightError {
  return isPipewrightError(value) && value.code === code;
}

/** A user-facing option was missing or out of range. */
export class InvalidOptionError extends PipewrightError {
  readonly option: string;
  constructor(option: string, expected: string, received: unknown) {
    super('PW_INVALID_OPTION', `Expected \`${option}\` to be ${expected}, got ${describeValue(received)}`, {
      kind: 'fatal',
    });
    this.option = option;
  }
}

/** A schema, table or column name failed validation. */
export class InvalidIdentifierError extends PipewrightError {
  readonly identifier: unknown;
  constructor(identifier: unknown, reason: string) {
    super('PW_INVALID_IDENTIFIER', `Invalid SQL identifier ${describeValue(identifier)}: ${reason}`, {
      kind: 'fatal',
    });
    this.identifier = identifier;
  }
}

/** `createSqlClient` was handed something that is not a pg Pool/Client/PoolClient or PGlite instance. */
export class UnsupportedClientError extends PipewrightError {
  constructor(received: unknown) {
    super(
      'PW_UNSUPPORTED_CLIENT',
      `Expected a pg.Pool, pg.Client, pg.PoolClient or PGlite instance, got ${describeValue(received)}`,
      { kind: 'fatal' },
    );
  }
}

/** An operation needs a capability (such as COPY) that this client does not offer. */
export class CapabilityError extends PipewrightError {
  readonly capability: string;
  constructor(capability: string, hint: string) {
    super('PW_CAPABILITY_UNAVAILABLE', `The SQL client does not support ${capability}: ${hint}`, { kind: 'fatal' });
    this.capability = capability;
  }
}

/** A numbered migration failed or the server is too old. */
export class MigrationError extends PipewrightError {
  constructor(message: string, options?: PipewrightErrorOptions) {
    super('PW_MIGRATION', message, { ...options, kind: 'fatal' });
  }
}

/** Something that is not an `Error` was thrown; the original value is kept as `cause`. */
export class NonErrorThrownError extends PipewrightError {
  constructor(value: unknown) {
    super('PW_NON_ERROR_THROWN', `A non-Error value was thrown: ${describeValue(value)}`, { cause: value });
  }
}

/** Throw to mark a failure as retryable regardless of the classification rules. */
export class TransientError extends PipewrightError {
  constructor(message: string, options?: PipewrightErrorOptions) {
    super('PW_TRANSIENT', message, { ...options, kind: 'transient' });
  }
}

/** Throw to mark a failure as belonging to one record: dead-letter it and go on. */
export class RecordError extends PipewrightError {
  constructor(message: string, options?: PipewrightErrorOptions) {
    super('PW_RECORD', message, { ...options, kind: 'record' });
  }
}

/** Throw to stop the run at once: nothing retries a fatal error. */
export class FatalError extends PipewrightError {
  constructor(message: string, options?: PipewrightErrorOptions) {
    super('PW_FATAL', message, { ...options, kind: 'fatal' });
  }
}

/** Returns `value` when it is an Error, otherwise a `NonErrorThrownError` whose `cause` is the value. */
export function ensureError(value: unknown): Error {
  return value instanceof Error ? value : new NonErrorThrownError(value);
}

/** A short, safe rendering of any value for error messages (bounded length, no prototype tricks). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'symbol':
      return String(value);
    case 'function':
      return `function ${value.name || '(anonymous)'}`;
    default: {
      if (value instanceof Error) return `${value.name}: ${value.message}`;
      const ctor = Object.getPrototypeOf(value)?.constructor?.name;
      return Array.isArray(value) ? `an array of length ${value.length}` : `an object (${ctor ?? 'null prototype'})`;
    }
  }
}
