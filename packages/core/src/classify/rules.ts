import { isPipewrightError } from '../errors.ts';
import { parseRetryAfter } from './retry-after.ts';
import type { Classification, ClassificationRule } from './types.ts';

type Bag = Record<string, unknown>;

const asBag = (error: unknown): Bag | undefined =>
  typeof error === 'object' && error !== null ? (error as Bag) : undefined;

/** Errors that carry an explicit kind (TransientError, RecordError, FatalError, most SDK errors). */
export const explicitKindRule: ClassificationRule = (error) =>
  isPipewrightError(error) && error.kind !== undefined ? { kind: error.kind, reason: error.code } : undefined;

const TRANSIENT_SQLSTATES: Record<string, string> = {
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '55P03': 'lock_not_available',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
  '57014': 'query_canceled',
};

const SQLSTATE_CLASSES: Record<string, Classification['kind']> = {
  '08': 'transient', // connection exception
  '53': 'transient', // insufficient resources
  '22': 'record', // data exception
  '23': 'record', // integrity constraint violation
  '42': 'fatal', // syntax error or access rule violation
  '28': 'fatal', // invalid authorization
};

/** PostgreSQL errors from node-postgres or PGlite: a 5-character SQLSTATE `code` plus a `severity`. */
export const postgresRule: ClassificationRule = (error) => {
  const bag = asBag(error);
  const code = bag?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || !('severity' in bag!)) return undefined;
  const named = TRANSIENT_SQLSTATES[code];
  if (named) return { kind: 'transient', reason: `postgres ${code} ${named}` };
  const kind = SQLSTATE_CLASSES[code.slice(0, 2)];
  return { kind: kind ?? 'fatal', reason: `postgres ${code}` };
};

const TRANSIENT_NET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Node network errors (and undici's) by their `code`. */
export const networkRule: ClassificationRule = (error) => {
  const code = asBag(error)?.code;
  return typeof code === 'string' && TRANSIENT_NET_CODES.has(code)
    ? { kind: 'transient', reason: `network ${code}` }
    : undefined;
};

// node-postgres reports a dropped socket or a pool timeout with plain messages and no code.
// `Query read timeout` is the client-side `query_timeout`: the server stopped answering (a black-holed link).
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable|Query read timeout)/;

export const pgConnectionRule: ClassificationRule = (error) =>
  error instanceof Error && PG_CONNECTION_MESSAGES.test(error.message)
    ? { kind: 'transient', reason: 'postgres connection lost' }
    : undefined;

const REDIS_TRANSIENT_REPLIES = /^(LOADING|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|BUSY)\b/;
const REDIS_TRANSIENT_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/** ioredis connection errors and server replies that clear up on their own. */
export const redisRule: ClassificationRule = (error) => {
  if (!(error instanceof Error)) return undefined;
  if (REDIS_TRANSIENT_NAMES.has(error.name)) return { kind: 'transient', reason: `redis ${error.name}` };
  if (error.name === 'ReplyError') {
    const match = REDIS_TRANSIENT_REPLIES.exec(error.message);
    return match ? { kind: 'transient', reason: `redis ${match[1]}` } : { kind: 'fatal', reason: 'redis reply error' };
  }
  if (error.message === 'Connection is closed.') return { kind: 'transient', reason: 'redis connection closed' };
  return undefined;
};

const TRANSIENT_HTTP = new Set([408, 425, 429, 500, 502, 503, 504]);

function readHeader(headers: unknown, name: string): unknown {
  if (headers === null || typeof headers !== 'object') return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') return getter.call(headers, name) ?? undefined;
  const bag = headers as Bag;
  return bag[name] ?? bag[name.toLowerCase()];
}

function httpStatusOf(bag: Bag): { status: number; headers: unknown } | undefined {
  const response = asBag(bag.response);
  for (const candidate of [bag, response]) {
    if (!candidate) continue;
    const status = candidate.status ?? candidate.statusCode;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
      return { status, headers: candidate.headers ?? response?.headers ?? bag.headers };
    }
  }
  return undefined;
}

/** HTTP failures by status: a fetch `Response`, or errors from ky, got, axios and friends that carry one. */
export const httpRule: ClassificationRule = (error, { nowMs }) => {
  const bag = asBag(error);
  const http = bag && httpStatusOf(bag);
  if (!http || http.status < 400) return undefined;
  const reason = `http ${http.status}`;
  if (!TRANSIENT_HTTP.has(http.status)) return { kind: 'fatal', reason };
  const retryAfterMs = parseRetryAfter(readHeader(http.headers, 'Retry-After'), nowMs);
  return retryAfterMs === undefined ? { kind: 'transient', reason } : { kind: 'transient', reason, retryAfterMs };
};

// ioredis rejects in-flight commands with an AbortError of this message when the connection drops.
const REDIS_CONNECTION_ABORT = /^Command aborted due to connection close/;

/** Cancellation is deliberate: never retry it. A timeout signal, though, is worth another attempt. */
export const abortRule: ClassificationRule = (error) => {
  const bag = asBag(error);
  const name = bag?.name;
  if (name === 'AbortError') {
    return typeof bag?.message === 'string' && REDIS_CONNECTION_ABORT.test(bag.message)
      ? { kind: 'transient', reason: 'redis connection closed' }
      : { kind: 'fatal', reason: 'aborted' };
  }
  if (name === 'TimeoutError') return { kind: 'transient', reason: 'timed out' };
  return undefined;
};

/** zod (v3 and v4) validation failures belong to the record that failed them. */
export const zodRule: ClassificationRule = (error) => {
  const bag = asBag(error);
  return bag && (bag.name === 'ZodError' || bag.name === '$ZodError') && Array.isArray(bag.issues)
    ? { kind: 'record', reason: 'validation failed' }
    : undefined;
};

/** The built-in rules, in the order they are tried. */
export const defaultRules: readonly ClassificationRule[] = Object.freeze([
  explicitKindRule,
  abortRule,
  postgresRule,
  networkRule,
  pgConnectionRule,
  redisRule,
  zodRule,
  httpRule,
]);
