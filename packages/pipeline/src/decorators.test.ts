import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { job } from './job.ts';
import { step, stepsOf } from './step.ts';
import type { StepContext } from './types.ts';

// Node cannot parse decorators, so the fixture goes through the TypeScript compiler: type-checked against the
// real declarations in both modes, then emitted once per mode and imported.
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const tsc = join(root, 'node_modules/.bin/tsc');
const dir = mkdtempSync(join(tmpdir(), 'pw-step-decorators-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = `
import type { StepContext, step as stepFunction } from ${JSON.stringify(join(here, 'index.ts'))};

export function make(step: typeof stepFunction, log: string[]) {
  class BaseJob {
    @step()
    async audit(ctx: StepContext): Promise<void> {
      log.push('audit ' + ctx.step);
    }
  }
  class OrdersJob extends BaseJob {
    prefix = 'orders';
    calls = 0;
    @step({ retry: { maxAttempts: 3, baseDelayMs: 0, jitter: false } })
    async extract(ctx: StepContext): Promise<string> {
      this.calls++;
      if (this.calls < 2) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return this.prefix + ':' + ctx.step;
    }
    @step({ name: 'load-orders', dependsOn: ['extract'] })
    async load(ctx: StepContext): Promise<number> {
      log.push(ctx.output<string>('extract'));
      return 1;
    }
    helper(): number {
      return 2;
    }
  }
  return OrdersJob;
}
`;
writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
writeFileSync(join(dir, 'fixture.ts'), fixture);

function run(args: string[]): void {
  try {
    execFileSync(process.execPath, [tsc, ...args], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

function compile(flavour: 'tc39' | 'legacy'): string {
  const legacy = flavour === 'legacy' ? ['--experimentalDecorators'] : [];
  const common = ['--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  run([
    ...common,
    ...legacy,
    '--noEmit',
    '--strict',
    '--customConditions',
    '@pipewright/source',
    '--allowImportingTsExtensions',
    '--skipLibCheck',
    '--types',
    'node',
    '--typeRoots',
    join(root, 'node_modules/@types'),
    join(dir, 'fixture.ts'),
  ]);
  const outDir = join(dir, flavour);
  run([...common, ...legacy, '--noCheck', '--noResolve', '--outDir', outDir, join(dir, 'fixture.ts')]);
  return join(outDir, 'fixture.js');
}

describe.each(['tc39', 'legacy'] as const)('@step() with %s decorators', (flavour) => {
  it('wraps methods keeping `this`, retries, and runs them as a job with stepsOf()', async () => {
    const file = compile(flavour);
    const { make } = (await import(pathToFileURL(file).href)) as {
      make: (s: typeof step, log: string[]) => new () => Record<string, unknown> & { calls: number; helper(): number };
    };
    const log: string[] = [];
    const OrdersJob = make(step, log);
    const instance = new OrdersJob();
    const extract = instance.extract as ((ctx: Partial<StepContext>) => Promise<string>) & { stepName: string };
    expect(extract.stepName).toBe('extract');
    await expect(extract.call(instance, { step: 'direct' })).resolves.toBe('orders:direct');
    expect(instance.calls).toBe(2); // retried once, with `this` kept
    expect(instance.helper()).toBe(2);

    const fresh = new OrdersJob();
    const steps = stepsOf(fresh);
    expect(steps.map((s) => s.stepName).sort()).toEqual(['audit', 'extract', 'load-orders']);
    const result = await job(`decorated-${flavour}`, steps, { concurrency: 1 }).run();
    expect(result.status).toBe('succeeded');
    expect(result.steps.find((s) => s.name === 'extract')?.attempts).toBe(2);
    expect(log).toEqual(expect.arrayContaining(['audit audit', 'orders:extract']));
  });
});

describe('@step() misuse', () => {
  it('refuses non-methods and objects without steps', () => {
    const decorate = step({}) as unknown as (t: unknown, c: unknown, d?: PropertyDescriptor) => unknown;
    expect(() => decorate(undefined, { kind: 'field', name: 'x' })).toThrow(
      'Expected `@step target` to be a class method',
    );
    expect(() => decorate({}, 'x', { value: 1 })).toThrow('Expected `@step target` to be a class method');
    expect(() => step({ name: '' })).toThrow('`name`');
    expect(() => step(42 as never)).toThrow('`step(options)`');
    expect(() => stepsOf({})).toThrow('Expected `instance` to be an object whose class has @step methods');
    expect(() => stepsOf(null as never)).toThrow('`instance`');
  });
});
