import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDecoratedFixture } from '../../../test/helpers/decorators.ts';
import type { build as Build } from './__fixtures__/decorated.ts';
import type { LineageEvent, RunEvent } from './events.ts';
import { createLineage, currentRun } from './run.ts';
import type { LineageTransport } from './transports/types.ts';
import { lineageRun, withLineage } from './wrap.ts';

function memory() {
  const events: RunEvent[] = [];
  const transport: LineageTransport = {
    name: 'memory',
    send: async (batch: readonly LineageEvent[]) => {
      events.push(...(batch as RunEvent[]));
    },
  };
  return { events, lineage: createLineage({ namespace: 'shop-etl', transport }) };
}

describe('withLineage', () => {
  it('keeps this, arguments and result; START/COMPLETE per call; FAIL and rethrow on error', async () => {
    const { events, lineage } = memory();
    const job = {
      factor: 3,
      times: withLineage(
        lineage,
        'times',
        async function (this: { factor: number }, n: number) {
          if (n < 0) throw new RangeError('negative');
          return n * this.factor;
        },
        (n) => ({ runFacets: {}, inputs: [{ namespace: 'n', name: `in${n}` }] }),
      ),
    };
    await expect(job.times(2)).resolves.toBe(6);
    await expect(job.times(-1)).rejects.toBeInstanceOf(RangeError);
    await lineage.close();
    expect(events.map((e) => `${e.job.name}:${e.eventType}:${e.inputs[0]?.name}`)).toEqual([
      'times:START:in2',
      'times:COMPLETE:in2',
      'times:START:in-1',
      'times:FAIL:in-1',
    ]);
    expect(events[3]!.run.facets?.errorMessage?.message).toBe('RangeError: negative');
    expect(() => withLineage(lineage, '', async () => 1)).toThrow(/jobName/);
    expect(() => withLineage(lineage, 'x', 1 as never)).toThrow(/`fn`/);
  });

  it('runs started inside a tracked call become its children (parent and root facets), also across awaits', async () => {
    const { events, lineage } = memory();
    const load = withLineage(lineage, 'nightly.load', async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentRun()?.job.name;
    });
    const nightly = withLineage(lineage, 'nightly', async () => [await load(), await load()]);
    await expect(nightly()).resolves.toEqual(['nightly.load', 'nightly.load']);
    expect(currentRun()).toBeUndefined();
    lineage.startRun('standalone', { parent: null }).complete();
    await lineage.close();
    const root = events.find((e) => e.job.name === 'nightly')!;
    const children = events.filter((e) => e.job.name === 'nightly.load' && e.eventType === 'START');
    expect(children).toHaveLength(2);
    for (const child of children) {
      expect(child.run.facets?.parent).toMatchObject({
        run: { runId: root.run.runId },
        root: { run: { runId: root.run.runId } },
      });
    }
    expect(root.run.facets?.parent).toBeUndefined();
    expect(events.find((e) => e.job.name === 'standalone')!.run.facets?.parent).toBeUndefined();
  });
});

const fixture = useDecoratedFixture<{ build: typeof Build }>(join(import.meta.dirname, '__fixtures__', 'decorated.ts'));
const compile = async (legacy: boolean): Promise<typeof Build> => (await fixture(legacy ? 'legacy' : 'tc39')).build;

describe.each([
  ['TC39 standard decorators', false],
  ['legacy experimentalDecorators', true],
])('@lineageRun with %s', (_name, legacy) => {
  it('makes every call a run named ClassName.method (or as given), keeping this and the result', async () => {
    const build = await compile(legacy);
    const { events, lineage } = memory();
    const OrdersJob = build(lineageRun, lineage);
    const job = new OrdersJob('eu');
    await expect(job.sync('2026-11-21')).resolves.toBe('eu:2026-11-21');
    await expect(job.sync('bad')).rejects.toThrow('no data for bad');
    await expect(job.load('orders')).resolves.toBe(6);
    await lineage.close();
    expect(events.map((e) => `${e.job.name}:${e.eventType}`)).toEqual([
      'OrdersJob.sync:START',
      'OrdersJob.sync:COMPLETE',
      'OrdersJob.sync:START',
      'OrdersJob.sync:FAIL',
      'orders.load:START',
      'orders.load:COMPLETE',
    ]);
    expect(events[5]!.outputs).toEqual([{ namespace: 'postgres://db:5432', name: 'shop.public.orders' }]);
  }, 60_000);
});

describe('decorator misuse', () => {
  it('refuses fields and non-methods in both flavours, and an empty job name', () => {
    const { lineage } = memory();
    const tc39 = lineageRun(lineage) as unknown as (value: unknown, context: unknown) => unknown;
    expect(() => tc39(undefined, { kind: 'field', name: 'x' })).toThrow(/`@lineageRun` to be applied to a method/);
    const legacyDecorate = lineageRun(lineage) as unknown as (t: unknown, k: unknown, d: unknown) => unknown;
    expect(() => legacyDecorate({}, 'x', { value: 1 })).toThrow(/`@lineageRun` to be applied to a method/);
    expect(() => lineageRun(lineage, '')).toThrow(/jobName/);
  });
});
