import { FakeClock, TransientError } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { JobDefinitionError } from './errors.ts';
import { job } from './job.ts';
import { step } from './step.ts';
import type { StepContext } from './types.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('job(name, steps)', () => {
  it('runs steps in dependency order and passes outputs downstream', async () => {
    const order: string[] = [];
    const extract = step('extract', async () => {
      order.push('extract');
      return [1, 2, 3];
    });
    const transform = step(
      'transform',
      async (ctx: StepContext) => {
        order.push('transform');
        const rows = ctx.output<number[]>('extract');
        ctx.count({ in: rows.length, out: rows.length });
        return rows.map((n) => n * 10);
      },
      { dependsOn: ['extract'] },
    );
    const load = step(
      'load',
      async (ctx: StepContext) => {
        order.push('load');
        const rows = ctx.output<number[]>('transform');
        ctx.count({ in: rows.length, out: rows.length });
        ctx.setChecksum(`sum:${rows.reduce((a, b) => a + b, 0)}`);
        expect(ctx.output('extract')).toEqual([1, 2, 3]); // transitive upstream is visible
        expect(() => ctx.output('load')).toThrow('upstream of "load"');
        await ctx.checkLease(undefined as never); // no lock: nothing to check
        expect(ctx.fencingToken).toBeUndefined();
      },
      { dependsOn: ['transform'] },
    );
    // Declared out of order on purpose.
    const result = await job('orders', [load, transform, extract]).run();
    expect(order).toEqual(['extract', 'transform', 'load']);
    expect(result.status).toBe('succeeded');
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['load', 'succeeded'],
      ['transform', 'succeeded'],
      ['extract', 'succeeded'],
    ]);
    expect(result.counts).toEqual({ in: 6, out: 6, rejected: 0, deadLettered: 0 });
    expect(result.steps[0]?.checksum).toBe('sum:60');
  });

  it('skips everything downstream of a failure, and only that; independent branches still run', async () => {
    const ran: string[] = [];
    const mk = (name: string, dependsOn: string[] = [], fail = false) =>
      step(
        name,
        async () => {
          ran.push(name);
          if (fail) throw new Error(`${name} exploded`);
        },
        { dependsOn },
      );
    const result = await job(
      'shop',
      [
        mk('orders'),
        mk('customers', [], true),
        mk('enrich', ['orders', 'customers']),
        mk('report', ['enrich']),
        mk('audit', ['orders']),
      ],
      { concurrency: 1 },
    ).run();
    expect(ran.sort()).toEqual(['audit', 'customers', 'orders']);
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('customers exploded');
    const byName = Object.fromEntries(result.steps.map((s) => [s.name, s]));
    expect(byName.customers?.status).toBe('failed');
    expect(byName.customers?.error?.message).toBe('customers exploded');
    expect(byName.enrich).toMatchObject({ status: 'skipped', skippedBecause: 'upstream step "customers" failed' });
    expect(byName.report).toMatchObject({ status: 'skipped', attempts: 0 });
    expect(byName.audit?.status).toBe('succeeded');
    expect(byName.orders?.status).toBe('succeeded');
  });

  it('never runs more than `concurrency` independent steps at once', async () => {
    let active = 0;
    let peak = 0;
    const gates = Array.from({ length: 6 }, () => deferred());
    const started: number[] = [];
    const steps = gates.map((gate, i) =>
      step(`s${i}`, async () => {
        active++;
        peak = Math.max(peak, active);
        started.push(i);
        await gate.promise;
        active--;
      }),
    );
    const running = job('wide', steps, { concurrency: 2 }).run();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    gates[1]?.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    const result = await running;
    expect(result.status).toBe('succeeded');
    expect(peak).toBe(2);
    expect(started).toHaveLength(6);
  });

  it('retries a step on the job clock, resets its counts per attempt, and reports attempts and duration', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 2));
    let calls = 0;
    const load = step(
      'load',
      async (ctx: StepContext) => {
        calls++;
        expect(ctx.attempt).toBe(calls);
        ctx.count({ in: 100 });
        await clock.sleep(1000);
        if (calls === 1) throw new TransientError('connection reset');
        ctx.count({ out: 100 });
      },
      { retry: { baseDelayMs: 500, jitter: false } },
    );
    const running = job('nightly', [load], { clock }).run();
    await clock.runAll();
    const result = await running;
    expect(result.status).toBe('succeeded');
    expect(result.steps[0]).toMatchObject({ attempts: 2, durationMs: 2500 });
    expect(result.steps[0]?.counts).toEqual({ in: 100, out: 100, rejected: 0, deadLettered: 0 });
    expect(result.durationMs).toBe(2500);
    expect(result.startedAt.toISOString()).toBe('2026-11-21T02:00:00.000Z');
  });

  it('stops starting steps when the caller aborts, marking the rest skipped', async () => {
    const controller = new AbortController();
    const first = step('first', async (ctx: StepContext) => {
      controller.abort(new Error('shutting down'));
      expect(ctx.signal.aborted).toBe(true);
    });
    const second = step('second', async () => {}, { dependsOn: ['first'] });
    const third = step('third', async () => {});
    const result = await job('stop', [first, second, third], { concurrency: 1 }).run({ signal: controller.signal });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('Run of job "stop" was aborted');
    expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped', 'skipped']);
    expect(result.steps[1]?.skippedBecause).toBe('run aborted: shutting down');
  });

  it('refuses duplicate names, unknown dependencies and cycles', () => {
    const a = step('a', async () => {}, { dependsOn: ['b'] });
    const b = step('b', async () => {}, { dependsOn: ['a'] });
    expect(() => job('j', [a, b])).toThrow(JobDefinitionError);
    expect(() => job('j', [a, b])).toThrow('Job "j" is not runnable: dependency cycle among "a", "b"');
    expect(() => job('j', [a])).toThrow('step "a" depends on unknown step "b"');
    const c = step('c', async () => {});
    expect(() => job('j', [c, c])).toThrow('two steps are named "c"');
    expect(() => job('j', [async () => {}])).toThrow('Expected `steps[0]` to be a step made by step() or @step()');
    expect(() => job('j', [])).toThrow('`steps`');
    expect(() => job('j', [c], { concurrency: 0 })).toThrow('Expected `concurrency` to be a positive integer, got 0');
  });
});
