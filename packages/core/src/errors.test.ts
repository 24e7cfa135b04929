import { describe, expect, it } from 'vitest';
import {
  CapabilityError,
  describeValue,
  ensureError,
  FatalError,
  hasErrorCode,
  InvalidIdentifierError,
  InvalidOptionError,
  isPipewrightError,
  NonErrorThrownError,
  PipewrightError,
  RecordError,
  TransientError,
  UnsupportedClientError,
} from './errors.ts';

describe('error family', () => {
  it.each([
    [new InvalidOptionError('maxAttempts', 'a positive integer', -1), 'InvalidOptionError', 'PW_INVALID_OPTION'],
    [new InvalidIdentifierError('a;b', 'bad'), 'InvalidIdentifierError', 'PW_INVALID_IDENTIFIER'],
    [new UnsupportedClientError(42), 'UnsupportedClientError', 'PW_UNSUPPORTED_CLIENT'],
    [new CapabilityError('COPY', 'no'), 'CapabilityError', 'PW_CAPABILITY_UNAVAILABLE'],
    [new TransientError('t'), 'TransientError', 'PW_TRANSIENT'],
    [new RecordError('r'), 'RecordError', 'PW_RECORD'],
    [new FatalError('f'), 'FatalError', 'PW_FATAL'],
  ])('%s has name %s and code %s', (error, name, code) => {
    expect(error).toBeInstanceOf(PipewrightError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(isPipewrightError(error)).toBe(true);
    expect(hasErrorCode(error, code)).toBe(true);
    expect(hasErrorCode(error, 'PW_OTHER')).toBe(false);
  });

  it('names the values in messages', () => {
    expect(new InvalidOptionError('maxAttempts', 'a positive integer', -1).message).toBe(
      'Expected `maxAttempts` to be a positive integer, got -1',
    );
    expect(new InvalidIdentifierError('x"y', 'quotes').message).toBe('Invalid SQL identifier "x\\"y": quotes');
  });

  it('keeps the cause', () => {
    const root = new Error('root');
    expect(new TransientError('wrapped', { cause: root }).cause).toBe(root);
    expect('cause' in new TransientError('no cause')).toBe(false);
  });

  it('recognises errors from another copy of the package by brand, not by instanceof', () => {
    // Simulate a duplicate install: a structurally separate class carrying the same global brand.
    const foreign = Object.create(Error.prototype) as Record<symbol, unknown>;
    foreign[Symbol.for('@pipewright/error')] = true;
    expect(foreign instanceof PipewrightError).toBe(false);
    expect(isPipewrightError(foreign)).toBe(true);
    expect(isPipewrightError(new Error('plain'))).toBe(false);
    expect(isPipewrightError(null)).toBe(false);
    expect(isPipewrightError('PW_FATAL')).toBe(false);
  });

  it('wraps non-Error throws and keeps the original as cause', () => {
    const original = { status: 'weird' };
    const wrapped = ensureError(original);
    expect(wrapped).toBeInstanceOf(NonErrorThrownError);
    expect(wrapped.cause).toBe(original);
    expect(wrapped.message).toBe('A non-Error value was thrown: an object (Object)');
    expect(ensureError('boom').message).toBe('A non-Error value was thrown: "boom"');
    const real = new TypeError('x');
    expect(ensureError(real)).toBe(real);
  });

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [12n, '12n'],
    [Number.NaN, 'NaN'],
    ['x'.repeat(100), `"${'x'.repeat(80)}…"`],
    [[1, 2], 'an array of length 2'],
    [Object.create(null), 'an object (null prototype)'],
    [function named() {}, 'function named'],
    [new RangeError('r'), 'RangeError: r'],
    [Symbol('s'), 'Symbol(s)'],
  ])('describeValue(%s) = %s', (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });
});
