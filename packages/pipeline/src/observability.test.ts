import { TransientError } from '@pipewright/core';
import { createLineage, type LineageEvent } from '@pipewright/lineage';
import { createPipelineMetrics } from '@pipewright/metrics';
import * as promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { job } from './job.ts';
import { step } from './step.ts';
import type { StepContext } from './types.ts';

// The user's own instances of @pipewright/metrics and @pipewright/lineage, plugged into a job.
describe('job with @pipewright/metrics and @pipewright/lineage', () => {
  it('times each step in a metrics run, records counts and retries, and emits a lineage run per job and step', async () => {
    const registry = new promClient.Registry();
    const metrics = createPipelineMetrics({ pipeline: 'orders-sync', prometheus: { registry, client: promClient } });
    const events: LineageEvent[] = [];
    const lineage = createLineage({
      namespace: 'shop-etl',
      transport: { name: 'memory', send: async (batch) => void events.push(...batch) },
    });
    let tries = 0;
    const extract = step(
      'extract',
      async (ctx: StepContext) => {
        if (tries++ === 0) throw new TransientError('503 from the API');
        ctx.count({ in: 10, out: 9, rejected: 1, deadLettered: 1 });
      },
      {
        retry: { baseDelayMs: 0, jitter: false },
        lineage: { inputs: [{ namespace: 'https://api.example.com', name: 'orders' }] },
      },
    );
    const load = step('load', async (ctx: StepContext) => ctx.count({ in: 9, out: 9 }), {
      dependsOn: ['extract'],
      lineage: { outputs: [{ namespace: 'postgres://wh:5432', name: 'wh.public.orders' }] },
    });
    const result = await job('orders-sync', [extract, load], { metrics, lineage }).run();
    expect(result.status).toBe('succeeded');
    await lineage.close();

    const text = await registry.metrics();
    const sample = (line: RegExp): number => Number(text.match(line)?.[1] ?? Number.NaN);
    expect(sample(/pipewright_records_in_total\{[^}]*step="extract"[^}]*\} (\d+)/)).toBe(10);
    expect(sample(/pipewright_records_dead_lettered_total\{[^}]*step="extract"[^}]*\} (\d+)/)).toBe(1);
    expect(sample(/pipewright_retries_total\{[^}]*step="extract"[^}]*\} (\d+)/)).toBe(1);
    expect(text).toMatch(/pipewright_step_duration_seconds_count\{[^}]*step="load"[^}]*\} 1/);
    expect(text).toMatch(/pipewright_last_success_timestamp_seconds\{[^}]*pipeline="orders-sync"[^}]*\} \d+/);

    const runs = events.map(
      (e) => `${(e as { job: { name: string } }).job.name} ${(e as { eventType: string }).eventType}`,
    );
    expect(runs).toEqual([
      'orders-sync START',
      'extract START',
      'extract COMPLETE',
      'load START',
      'load COMPLETE',
      'orders-sync COMPLETE',
    ]);
    const jobRun = events[0] as unknown as { run: { runId: string } };
    expect(jobRun.run.runId).toBe(result.runId);
    const loadStart = events[3] as unknown as {
      run: { facets: { parent?: { run: { runId: string } } } };
      outputs: { name: string }[];
    };
    expect(loadStart.run.facets.parent?.run.runId).toBe(result.runId);
    expect(loadStart.outputs.map((o) => o.name)).toEqual(['wh.public.orders']);
  });

  it('reports a failed run as FAIL and as a failed metrics run', async () => {
    const registry = new promClient.Registry();
    const metrics = createPipelineMetrics({ pipeline: 'broken', prometheus: { registry, client: promClient } });
    const events: LineageEvent[] = [];
    const lineage = createLineage({ transport: { name: 'memory', send: async (batch) => void events.push(...batch) } });
    const bad = step('bad', async () => {
      throw new Error('relation "orders" does not exist');
    });
    const result = await job('broken', [bad], { metrics, lineage }).run();
    await lineage.close();
    expect(result.status).toBe('failed');
    expect(events.map((e) => (e as { eventType: string }).eventType)).toEqual(['START', 'START', 'FAIL', 'FAIL']);
    const text = await registry.metrics();
    expect(text).toMatch(/pipewright_failures_total\{[^}]*step="bad"[^}]*\} 1/);
  });
});
