import { FakeClock, FatalError, InvalidOptionError, TransientError } from '@pipewright/core';
import { RetryPolicy } from '@pipewright/retry';
import { describe, expect, it, vi } from 'vitest';
import { step } from './step.ts';
import type { RetryPolicyLike, SpanLike, StepEndEvent, StepLineageEvent, TracerLike } from './types.ts';

describe('step(name, fn, options)', () => {
  it('keeps this, arguments and the result', async () => {
    const counter = {
      base: 10,
      add: step('add', async function (this: { base: number }, n: number) {
        return this.base + n;
      }),
    };
    await expect(counter.add(5)).resolves.toBe(15);
    expect(counter.add.stepName).toBe('add');
    expect(counter.add.name).toBe('add');
  });

  it('retries transient failures with backoff on the clock, then succeeds', async () => {
    const clock = new FakeClock(0);
    const calls: number[] = [];
    const flaky = step(
      'flaky',
      async () => {
        calls.push(clock.now());
        if (calls.length < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        return 'ok';
      },
      { retry: { maxAttempts: 3, baseDelayMs: 100, jitter: false }, clock },
    );
    const result = flaky();
    await clock.advance(100);
    expect(calls).toEqual([0, 100]);
    await clock.advance(200);
    await expect(result).resolves.toBe('ok');
    expect(calls).toEqual([0, 100, 300]);
  });

  it('honours Retry-After, capped at maxDelayMs', async () => {
    const clock = new FakeClock(0);
    const calls: number[] = [];
    const limited = step(
      'limited',
      async () => {
        calls.push(clock.now());
        if (calls.length === 1)
          throw Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': '7' } });
        if (calls.length === 2)
          throw Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': '999' } });
        return calls.length;
      },
      { retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 10_000 }, clock },
    );
    const result = limited();
    await clock.runAll();
    await expect(result).resolves.toBe(3);
    expect(calls).toEqual([0, 7000, 17_000]);
  });

  it('does not retry fatal or record failures, and gives up after maxAttempts', async () => {
    const clock = new FakeClock(0);
    const fatal = vi.fn(async () => {
      throw new FatalError('schema mismatch');
    });
    await expect(step('fatal', fatal, { retry: true, clock })()).rejects.toThrow('schema mismatch');
    expect(fatal).toHaveBeenCalledTimes(1);

    const always = vi.fn(async () => {
      throw new TransientError('still down');
    });
    const result = step('always', always, { retry: { maxAttempts: 2, jitter: false }, clock })();
    const settled = expect(result).rejects.toThrow('still down');
    await clock.runAll();
    await settled;
    expect(always).toHaveBeenCalledTimes(2);
  });

  it('is not retried unless asked', async () => {
    const fn = vi.fn(async () => {
      throw new TransientError('blip');
    });
    await expect(step('once', fn)()).rejects.toThrow('blip');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('plugs in any policy with execute(fn, { signal })', async () => {
    const seen: unknown[] = [];
    const policy = {
      async execute<T>(
        fn: (context: { signal?: AbortSignal; attempt?: number }) => Promise<T>,
        context?: { signal?: AbortSignal },
      ) {
        seen.push(context);
        try {
          return await fn({ attempt: 1 });
        } catch {
          return fn({ attempt: 2 });
        }
      },
    };
    let calls = 0;
    const ends: StepEndEvent[] = [];
    const s = step(
      'policy',
      async () => {
        calls++;
        if (calls === 1) throw new Error('first');
        return 'second';
      },
      { retry: policy, hooks: { onStepEnd: (e) => ends.push(e) } },
    );
    await expect(s()).resolves.toBe('second');
    expect(seen).toHaveLength(1);
    expect(ends[0]?.attempts).toBe(2);
  });

  it('plugs in a @pipewright/retry policy, which retries on the clock', async () => {
    const clock = new FakeClock(0);
    const policy: RetryPolicyLike = new RetryPolicy({ maxAttempts: 3, initialDelay: 100, jitter: 'none', clock });
    const seen: number[] = [];
    const s = step(
      'with-policy',
      async () => {
        seen.push(clock.now());
        if (seen.length < 3) throw new TransientError('blip');
        return 'done';
      },
      { retry: policy },
    );
    const result = s();
    await clock.runAll();
    await expect(result).resolves.toBe('done');
    expect(seen).toEqual([0, 100, 300]);
  });

  it('reports start, retry and end to hooks with counts from measure()', async () => {
    const clock = new FakeClock(1000);
    const events: string[] = [];
    let end: StepEndEvent | undefined;
    let tries = 0;
    const s = step(
      'load',
      async () => {
        if (tries++ === 0) throw new TransientError('blip');
        await clock.sleep(50);
        return { inserted: 7 };
      },
      {
        clock,
        retry: { baseDelayMs: 10, jitter: false },
        measure: (r) => ({ out: r.inserted, checksum: 'abc' }),
        hooks: {
          onStepStart: (e) => events.push(`start ${e.step}`),
          onStepRetry: (e) => events.push(`retry ${e.attempt} after ${e.delayMs} (${e.reason})`),
          onStepEnd: (e) => {
            end = e;
          },
        },
      },
    );
    const result = s();
    await clock.runAll();
    await result;
    expect(events).toEqual(['start load', 'retry 1 after 10 (PW_TRANSIENT)']);
    expect(end).toMatchObject({ status: 'succeeded', attempts: 2, durationMs: 60, checksum: 'abc' });
    expect(end?.counts).toEqual({ in: 0, out: 7, rejected: 0, deadLettered: 0 });
  });

  it('never lets a throwing or rejecting observer fail the step', async () => {
    const warn = vi.fn();
    const logger = { debug() {}, info() {}, warn, error() {}, child: () => logger };
    const s = step('safe', async () => 1, {
      logger,
      hooks: {
        onStepStart: () => {
          throw new Error('metrics down');
        },
        onStepEnd: () => Promise.reject(new Error('async metrics down')) as never,
      },
      lineage: { emit: () => Promise.reject(new Error('lineage down')) },
      measure: () => {
        throw new Error('bad measure');
      },
    });
    await expect(s()).resolves.toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(warn.mock.calls.map((c) => c[1])).toEqual(
      expect.arrayContaining(['onStepStart hook failed', 'onStepEnd hook failed', 'lineage emit failed']),
    );
  });

  it('emits OpenLineage-shaped START then COMPLETE or FAIL with inputs and outputs', async () => {
    const events: StepLineageEvent[] = [];
    const lineage = {
      inputs: [{ namespace: 'postgres://db:5432', name: 'shop.public.orders' }],
      outputs: [{ namespace: 'postgres://wh:5432', name: 'wh.public.orders' }],
      emit: (e: StepLineageEvent) => events.push(e),
    };
    await step('ok', async () => 1, { lineage })();
    await expect(step('bad', async () => Promise.reject(new Error('boom')), { lineage })()).rejects.toThrow('boom');
    expect(events.map((e) => `${e.job.name} ${e.eventType}`)).toEqual([
      'ok START',
      'ok COMPLETE',
      'bad START',
      'bad FAIL',
    ]);
    expect(events[0]?.run.runId).toBe(events[1]?.run.runId);
    expect(events[0]?.run.runId).not.toBe(events[2]?.run.runId);
    expect(events[1]?.outputs).toEqual(lineage.outputs);
    expect(events[3]?.error?.message).toBe('boom');
  });

  it('opens one span per execution and records the failure on it', async () => {
    const spans: { name: string; attributes: unknown; status?: unknown; exception?: Error; ended: boolean }[] = [];
    const tracer: TracerLike = {
      startActiveSpan(name, options, fn) {
        const record: (typeof spans)[number] = { name, attributes: options.attributes, ended: false };
        spans.push(record);
        const span: SpanLike = {
          setAttribute: () => span,
          recordException: (e) => {
            record.exception = e;
          },
          setStatus: (s) => {
            record.status = s;
          },
          end: () => {
            record.ended = true;
          },
        };
        return fn(span);
      },
    };
    await expect(step('traced', async () => Promise.reject(new Error('nope')), { tracer })()).rejects.toThrow('nope');
    expect(spans).toEqual([
      {
        name: 'step traced',
        attributes: { 'pipewright.step': 'traced' },
        status: { code: 2, message: 'nope' },
        exception: expect.objectContaining({ message: 'nope' }),
        ended: true,
      },
    ]);
  });

  it('validates options up front', () => {
    expect(() => step('x', async () => 1, { retry: { maxAttempts: 0 } })).toThrow(InvalidOptionError);
    expect(() => step('x', async () => 1, { retry: { maxAttempts: 0 } })).toThrow(
      'Expected `retry.maxAttempts` to be a positive integer, got 0',
    );
    expect(() => step('', async () => 1)).toThrow('Expected `name` to be a non-empty string');
    expect(() => step('x', 'nope' as never)).toThrow('Expected `fn` to be a function');
    expect(() => step('x', async () => 1, { dependsOn: 'a' as never })).toThrow('`dependsOn`');
    expect(() => step('x', async () => 1, { lineage: {} as never })).toThrow(
      'Expected `lineage` to be datasets with an emit() function or a lineage client',
    );
    expect(() => step('x', async () => 1, { metrics: {} as never })).toThrow('`metrics`');
    expect(() => step('x', async () => 1, { retry: { baseDelayMs: 10, maxDelayMs: 5 } })).toThrow('`retry.maxDelayMs`');
  });
});
