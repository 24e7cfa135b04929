import { join } from 'node:path';
import { FakeClock } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { useDecoratedFixture } from '../../../test/helpers/decorators.ts';
import type { build as Build } from './__fixtures__/decorated.ts';
import { CircuitBreaker } from './breaker.ts';
import { circuitBreaker, retryable } from './decorators.ts';
import { BrokenCircuitError } from './errors.ts';

const fixture = useDecoratedFixture<{ build: typeof Build }>(join(import.meta.dirname, '__fixtures__', 'decorated.ts'));
const compile = async (legacy: boolean): Promise<typeof Build> => (await fixture(legacy ? 'legacy' : 'tc39')).build;

describe.each([
  ['TC39 standard decorators', false],
  ['legacy experimentalDecorators', true],
])('%s', (_name, legacy) => {
  it('@retryable retries the method with its this, arguments and attempt context', async () => {
    const build = await compile(legacy);
    const clock = new FakeClock();
    const Client = build(
      retryable,
      circuitBreaker,
      { clock, maxAttempts: 4, passContext: true },
      new CircuitBreaker({ clock }),
    );
    const client = new Client(2);
    const result = client.fetch('a');
    await clock.runAll();
    await expect(result).resolves.toBe('a@3');
    expect(client.contexts.map((c) => c?.attempt)).toEqual([1, 2, 3]);
    const other = new Client(0);
    await expect(other.fetch('b')).resolves.toBe('b@1');

    const doomed = new Client(9);
    const failed = doomed.fetch('c').catch((e: unknown) => e);
    await clock.runAll();
    expect(await failed).toMatchObject({ code: 'PW_RETRY_EXHAUSTED', attempts: 4 });
  }, 60_000);

  it('@circuitBreaker runs calls through the shared breaker', async () => {
    const build = await compile(legacy);
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, clock });
    const Client = build(retryable, circuitBreaker, { clock }, breaker);
    const client = new Client(0);
    await expect(client.ping(true)).resolves.toBe('pong from Client');
    await expect(client.ping(false)).rejects.toThrow('down');
    await expect(new Client(0).ping(false)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    await expect(client.ping(true)).rejects.toBeInstanceOf(BrokenCircuitError);
  }, 60_000);
});

describe('decorator misuse', () => {
  it('refuses a field, bad options and a non-breaker', () => {
    const decorate = retryable() as unknown as (value: unknown, context: unknown) => unknown;
    expect(() => decorate(undefined, { kind: 'field', name: 'x' })).toThrow(/`@retryable` to be applied to a method/);
    const legacy = retryable() as unknown as (t: unknown, k: unknown, d: unknown) => unknown;
    expect(() => legacy({}, 'x', { value: 1 })).toThrow(/`@retryable` to be applied to a method/);
    expect(() => retryable({ maxAttempts: 0 })).toThrow(/`maxAttempts`/);
    expect(() => circuitBreaker({} as never)).toThrow(/`breaker` to be a CircuitBreaker/);
  });
});
