import { join } from 'node:path';
import * as promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { useDecoratedFixture } from '../../../test/helpers/decorators.ts';
import { parsePrometheusSamples, sampleValue } from '../../../test/helpers/prometheus-text.ts';
import type { build as Build } from './__fixtures__/decorated.ts';
import { createPipelineMetrics } from './metrics.ts';
import { timed, withTiming } from './wrap.ts';

function setup() {
  const registry = new promClient.Registry();
  const metrics = createPipelineMetrics({ pipeline: 'p', prometheus: { registry } });
  const value = async (name: string, labels: Record<string, string>) =>
    sampleValue(parsePrometheusSamples(await registry.metrics()), name, labels);
  return { metrics, value };
}

describe('withTiming', () => {
  it('keeps this, arguments and the result, and times every call', async () => {
    const { metrics, value } = setup();
    const counter = {
      base: 10,
      add(this: { base: number }, a: number, b: number): number {
        return this.base + a + b;
      },
    };
    const add = withTiming(metrics, 'add', counter.add);
    await expect(add.call(counter, 1, 2)).resolves.toBe(13);
    await expect(add.call({ base: 0 }, 1, 1)).resolves.toBe(2);
    expect(await value('pipewright_step_duration_seconds_count', { step: 'add', outcome: 'success' })).toBe(2);
    const failing = withTiming(metrics, 'fail', async () => {
      throw new Error('nope');
    });
    await expect(failing()).rejects.toThrow('nope');
    expect(await value('pipewright_failures_total', { step: 'fail', kind: 'fatal' })).toBe(1);
    expect(() => withTiming({} as never, 's', () => 1)).toThrow(/Expected `metrics`/);
    expect(() => withTiming(metrics, '', () => 1)).toThrow(/Expected `step`/);
    expect(() => withTiming(metrics, 's', 'x' as never)).toThrow(/Expected `fn`/);
  });
});

const fixture = useDecoratedFixture<{ build: typeof Build }>(join(import.meta.dirname, '__fixtures__', 'decorated.ts'));
const compile = async (legacy: boolean): Promise<typeof Build> => (await fixture(legacy ? 'legacy' : 'tc39')).build;

describe.each([
  ['TC39 standard decorators', false],
  ['legacy experimentalDecorators', true],
])('@timed with %s', (_name, legacy) => {
  it('times the method under its name (or the given step), keeping this and arguments', async () => {
    const build = await compile(legacy);
    const { metrics, value } = setup();
    const Loader = build(timed, metrics);
    const loader = new Loader();
    await expect(loader.load('a')).resolves.toBe('a by Loader');
    await expect(loader.load('bad')).rejects.toThrow('cannot load bad');
    await expect(loader.count()).resolves.toBe(1);
    expect(await value('pipewright_step_duration_seconds_count', { step: 'load', outcome: 'success' })).toBe(1);
    expect(await value('pipewright_failures_total', { step: 'load', kind: 'fatal' })).toBe(1);
    expect(await value('pipewright_step_duration_seconds_count', { step: 'custom_step', outcome: 'success' })).toBe(1);
  }, 60_000);
});

describe('@timed misuse', () => {
  it('refuses a field and a missing metrics instance', () => {
    const { metrics } = setup();
    const decorate = timed(metrics) as unknown as (value: unknown, context: unknown) => unknown;
    expect(() => decorate(undefined, { kind: 'field', name: 'x' })).toThrow(/`@timed` to be applied to a method/);
    const legacy = timed(metrics) as unknown as (t: unknown, k: unknown, d: unknown) => unknown;
    expect(() => legacy({}, 'x', { value: 1 })).toThrow(/`@timed` to be applied to a method/);
    expect(() => timed(undefined as never)).toThrow(/Expected `metrics`/);
  });
});
