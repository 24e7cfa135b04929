import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FakeClock } from '@pipewright/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { build as Build } from './__fixtures__/decorated.ts';
import { CircuitBreaker } from './breaker.ts';
import { circuitBreaker, retryable } from './decorators.ts';
import { BrokenCircuitError } from './errors.ts';

// Node cannot parse decorators, and a bundler's transform may only know one flavour: compile the fixture with the
// real TypeScript compiler in both modes and run what it emitted.
const root = join(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'pw-retry-decorators-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const compiled = new Map<boolean, Promise<typeof Build>>();

function compile(experimentalDecorators: boolean): Promise<typeof Build> {
  let build = compiled.get(experimentalDecorators);
  if (!build) {
    build = compileOnce(experimentalDecorators);
    compiled.set(experimentalDecorators, build);
  }
  return build;
}

async function compileOnce(experimentalDecorators: boolean): Promise<typeof Build> {
  const out = join(work, experimentalDecorators ? 'legacy' : 'tc39');
  const config = join(work, `tsconfig.${experimentalDecorators ? 'legacy' : 'tc39'}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        experimentalDecorators,
        outDir: out,
        rootDir: join(root, 'packages'),
        customConditions: ['@pipewright/source'],
        typeRoots: [join(root, 'node_modules', '@types')],
        declaration: false,
        declarationMap: false,
        sourceMap: false,
        isolatedDeclarations: false,
      },
      files: [join(import.meta.dirname, '__fixtures__', 'decorated.ts')],
    }),
  );
  // Type errors fail the test too: the decorator types must fit both flavours.
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', config], { cwd: root, stdio: 'pipe' });
  const emitted = join(out, 'retry', 'src', '__fixtures__', 'decorated.js');
  // Prove which flavour was emitted: legacy `__decorate` on the prototype, or the TC39 `__esDecorate` protocol.
  const code = readFileSync(emitted, 'utf8');
  expect(code.includes('__esDecorate(')).toBe(!experimentalDecorators);
  expect(code.includes('__decorate(')).toBe(experimentalDecorators);
  return ((await import(pathToFileURL(emitted).href)) as { build: typeof Build }).build;
}

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
