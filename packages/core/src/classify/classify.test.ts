import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FatalError, NonErrorThrownError, RecordError, TransientError } from '../errors.ts';
import { classify, createClassifier } from './classify.ts';

const pgError = (code: string): Error => Object.assign(new Error(`pg ${code}`), { code, severity: 'ERROR' });
const netError = (code: string): Error => Object.assign(new Error(`net ${code}`), { code });
const redisReply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
const named = (name: string, message = name): Error => Object.assign(new Error(message), { name });
const httpError = (status: number, headers: Record<string, string> = {}): Error =>
  Object.assign(new Error(`HTTP ${status}`), { response: { status, headers: new Headers(headers) } });

describe('classify: PostgreSQL SQLSTATEs', () => {
  it.each([
    ['08000', 'transient'],
    ['08006', 'transient'],
    ['08P01', 'transient'],
    ['40001', 'transient'],
    ['40P01', 'transient'],
    ['55P03', 'transient'],
    ['57P01', 'transient'],
    ['57P02', 'transient'],
    ['57P03', 'transient'],
    ['57014', 'transient'],
    ['53000', 'transient'],
    ['53100', 'transient'],
    ['53200', 'transient'],
    ['53300', 'transient'],
    ['22001', 'record'],
    ['22003', 'record'],
    ['22007', 'record'],
    ['22021', 'record'],
    ['22P02', 'record'],
    ['23502', 'record'],
    ['23503', 'record'],
    ['23505', 'record'],
    ['23514', 'record'],
    ['42601', 'fatal'],
    ['42P01', 'fatal'],
    ['42703', 'fatal'],
    ['42501', 'fatal'],
    ['28000', 'fatal'],
    ['28P01', 'fatal'],
    ['XX000', 'fatal'],
    ['25P02', 'fatal'],
  ] as const)('%s → %s', (code, kind) => {
    const result = classify(pgError(code));
    expect(result.kind).toBe(kind);
    expect(result.reason).toContain(code);
  });

  it('names well-known transient states', () => {
    expect(classify(pgError('40P01')).reason).toBe('postgres 40P01 deadlock_detected');
  });

  it('ignores a 5-character code without a severity (not a database error)', () => {
    expect(classify(Object.assign(new Error('x'), { code: '23505' })).reason).toBe('unrecognised error');
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'Query read timeout',
  ])('node-postgres connection loss "%s" is transient', (message) => {
    expect(classify(new Error(message)).kind).toBe('transient');
  });
});

describe('classify: network, Redis, abort, zod', () => {
  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_SOCKET'])(
    '%s is transient',
    (code) => {
      expect(classify(netError(code))).toEqual({ kind: 'transient', reason: `network ${code}` });
    },
  );

  it('an unknown network code is fatal', () => {
    expect(classify(netError('ENOENT')).kind).toBe('fatal');
  });

  it.each([
    [redisReply('LOADING Redis is loading the dataset in memory'), 'transient'],
    [redisReply('TRYAGAIN Multiple keys request during rehashing of slot'), 'transient'],
    [redisReply('CLUSTERDOWN The cluster is down'), 'transient'],
    [redisReply('READONLY You cannot write against a read only replica.'), 'transient'],
    [redisReply('WRONGTYPE Operation against a key holding the wrong kind of value'), 'fatal'],
    [redisReply('NOSCRIPT No matching script'), 'fatal'],
    [named('MaxRetriesPerRequestError', 'Reached the max retries per request limit'), 'transient'],
    [named('ClusterAllFailedError', 'Failed to refresh slots cache.'), 'transient'],
    [new Error('Connection is closed.'), 'transient'],
    [named('AbortError', 'Command aborted due to connection close'), 'transient'],
  ] as const)('%s → %s', (error, kind) => {
    expect(classify(error).kind).toBe(kind);
  });

  it('an AbortError is fatal; a TimeoutError is transient', () => {
    expect(classify(new DOMException('aborted', 'AbortError'))).toEqual({ kind: 'fatal', reason: 'aborted' });
    expect(classify(named('AbortError'))).toEqual({ kind: 'fatal', reason: 'aborted' });
    expect(classify(new DOMException('timeout', 'TimeoutError')).kind).toBe('transient');
  });

  it('a zod error belongs to the record', () => {
    const parsed = z.object({ id: z.number() }).safeParse({ id: 'x' });
    expect(parsed.success).toBe(false);
    expect(classify(parsed.error)).toEqual({ kind: 'record', reason: 'validation failed' });
  });
});

describe('classify: HTTP', () => {
  it.each([408, 425, 429, 500, 502, 503, 504])('%i is transient', (status) => {
    expect(classify(httpError(status))).toEqual({ kind: 'transient', reason: `http ${status}` });
  });

  it.each([400, 401, 403, 404, 409, 410, 422, 501, 505])('%i is fatal', (status) => {
    expect(classify(httpError(status)).kind).toBe('fatal');
  });

  it('reads statusCode (got/node http) and status on the error itself, and a fetch Response', () => {
    expect(classify(Object.assign(new Error('x'), { statusCode: 503 })).kind).toBe('transient');
    expect(classify(Object.assign(new Error('x'), { status: 404 })).kind).toBe('fatal');
    expect(classify(new Response('busy', { status: 429, headers: { 'retry-after': '7' } }))).toEqual({
      kind: 'transient',
      reason: 'http 429',
      retryAfterMs: 7000,
    });
  });

  it('parses Retry-After as seconds and as an HTTP date, from Headers or a plain object', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    const at = createClassifier({ now: () => now });
    expect(at(httpError(503, { 'Retry-After': '120' })).retryAfterMs).toBe(120_000);
    expect(at(httpError(429, { 'Retry-After': 'Sat, 21 Nov 2026 12:00:30 GMT' })).retryAfterMs).toBe(30_000);
    const plain = Object.assign(new Error('x'), { response: { statusCode: 429, headers: { 'retry-after': '2' } } });
    expect(at(plain).retryAfterMs).toBe(2000);
    expect(at(httpError(503, { 'Retry-After': 'soon' })).retryAfterMs).toBeUndefined();
  });

  it('does not classify a non-error status', () => {
    expect(classify(Object.assign(new Error('x'), { status: 302 })).reason).toBe('unrecognised error');
  });
});

describe('classify: rules, causes and defaults', () => {
  it('honours explicit kinds', () => {
    expect(classify(new TransientError('t')).kind).toBe('transient');
    expect(classify(new RecordError('r')).kind).toBe('record');
    expect(classify(new FatalError('f')).kind).toBe('fatal');
  });

  it('walks the cause chain', () => {
    const wrapped = new Error('load failed', { cause: new Error('inner', { cause: pgError('40P01') }) });
    expect(classify(wrapped).kind).toBe('transient');
  });

  it('unknown errors and non-Error throws are fatal', () => {
    expect(classify(new Error('mystery'))).toEqual({ kind: 'fatal', reason: 'unrecognised error' });
    expect(classify('a string').kind).toBe('fatal');
    expect(classify(undefined).kind).toBe('fatal');
    expect(classify(new NonErrorThrownError(42)).kind).toBe('fatal');
  });

  it('user rules run first', () => {
    const custom = createClassifier({
      rules: [
        (error) =>
          error instanceof Error && error.message === 'quota' ? { kind: 'transient', reason: 'quota' } : undefined,
      ],
    });
    expect(custom(new Error('quota'))).toEqual({ kind: 'transient', reason: 'quota' });
    expect(custom(pgError('23505')).kind).toBe('record');
  });

  it('stops on a cyclic cause chain', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classify(a).kind).toBe('fatal');
  });
});
