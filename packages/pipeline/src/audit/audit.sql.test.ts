import { FakeClock } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { driveClock } from '../../../../test/helpers/drive-clock.ts';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { job } from '../job.ts';
import { createLeaseStore } from '../lease.ts';
import { step } from '../step.ts';
import type { StepContext } from '../types.ts';
import { createRunAudit } from './audit.ts';

const db = useTestDatabase();

describe('run audit', () => {
  it('reads without migrating: a read-only caller finds nothing and creates nothing', async () => {
    const schema = `${db.schema}_reads`;
    const audit = createRunAudit({ sql: db.sql, schema });
    expect(await audit.lastSuccess('orders-sync')).toBeUndefined();
    expect(await audit.failures()).toEqual([]);
    expect(await audit.steps('no-such-run')).toEqual([]);
    const { rows } = await db.sql.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(rows).toHaveLength(0);
  });

  it('records one row per run and per step, with counts, timings, checksum and errors', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 20, 23, 0));
    const audit = createRunAudit({ sql: db.sql, schema: db.schema, clock });
    const extract = step('extract', async (ctx: StepContext) => {
      await clock.sleep(2000);
      ctx.count({ in: 120, out: 118, rejected: 2, deadLettered: 2 });
    });
    const load = step(
      'load',
      async (ctx: StepContext) => {
        await clock.sleep(3000);
        ctx.count({ in: 118, out: 118 });
        ctx.setChecksum('sha256:9f2c');
      },
      { dependsOn: ['extract'] },
    );
    const ok = await driveClock(clock, job('orders-sync', [extract, load], { audit, clock }).run());
    expect(ok.status).toBe('succeeded');

    const { rows: runs } = await db.sql.query<Record<string, unknown>>(
      `SELECT run_id::text, pipeline, status, started_at, finished_at, duration_ms::int AS duration_ms,
         rows_in::int AS rows_in, rows_out::int AS rows_out, rows_rejected::int AS rows_rejected,
         rows_dead_lettered::int AS rows_dead_lettered, failed_step, error
       FROM ${db.qschema}.pipeline_runs`,
    );
    expect(runs).toEqual([
      {
        run_id: ok.runId,
        pipeline: 'orders-sync',
        status: 'succeeded',
        started_at: new Date('2026-11-20T23:00:00.000Z'),
        finished_at: new Date('2026-11-20T23:00:05.000Z'),
        duration_ms: 5000,
        rows_in: 238,
        rows_out: 236,
        rows_rejected: 2,
        rows_dead_lettered: 2,
        failed_step: null,
        error: null,
      },
    ]);
    const steps = await audit.steps(ok.runId);
    expect(steps.map((s) => [s.name, s.status, s.durationMs, s.attempts, s.checksum ?? null])).toEqual([
      ['extract', 'succeeded', 2000, 1, null],
      ['load', 'succeeded', 3000, 1, 'sha256:9f2c'],
    ]);
    expect(steps[0]?.counts).toEqual({ in: 120, out: 118, rejected: 2, deadLettered: 2 });

    // A failing run at 02:00: the failed step and the skipped one are recorded, and the queries answer.
    clock.set(Date.UTC(2026, 10, 21, 2, 0));
    const broken = step('extract', async () => {
      throw new Error('relation "orders" does not exist');
    });
    const failed = await job('orders-sync', [broken, step('load', async () => {}, { dependsOn: ['extract'] })], {
      audit,
      clock,
    }).run();
    expect(failed.status).toBe('failed');
    const failedSteps = await audit.steps(failed.runId);
    expect(failedSteps.map((s) => [s.name, s.status, s.error?.message ?? s.skippedBecause])).toEqual([
      ['extract', 'failed', 'relation "orders" does not exist'],
      ['load', 'skipped', 'upstream step "extract" failed'],
    ]);

    const last = await audit.lastSuccess('orders-sync');
    expect(last).toMatchObject({
      runId: ok.runId,
      status: 'succeeded',
      finishedAt: new Date('2026-11-20T23:00:05.000Z'),
    });
    expect(await audit.lastSuccess('never-ran')).toBeUndefined();

    const lastNight = await audit.failures({
      since: new Date('2026-11-20T18:00:00Z'),
      until: new Date('2026-11-21T08:00:00Z'),
    });
    expect(lastNight.map((r) => [r.runId, r.failedStep, r.error])).toEqual([
      [failed.runId, 'extract', 'relation "orders" does not exist'],
    ]);
    expect(await audit.failures({ since: new Date('2026-11-21T03:00:00Z') })).toEqual([]);
    expect(await audit.failures({ pipeline: 'other', since: new Date(0) })).toEqual([]);
    // Default window: the last 24 hours on the audit's clock.
    expect((await audit.failures()).map((r) => r.runId)).toEqual([failed.runId]);
  });

  it('marks a run left `running` by a crashed process as abandoned when the next locked run starts', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 3));
    const audit = createRunAudit({ sql: db.sql, schema: db.schema, clock });
    const leases = createLeaseStore({ sql: db.sql, schema: db.schema, clock });
    // A process that died after starting its run: its row says `running`, its lease expired.
    await audit.startRun({
      runId: crypto.randomUUID(),
      pipeline: 'crashy',
      startedAt: new Date(clock.now()),
      fencingToken: 1n,
      abandonPrevious: false,
    });
    const result = await job('crashy', [step('only', async () => {})], { audit, clock, lock: { leases } }).run();
    expect(result.status).toBe('succeeded');
    expect(result.fencingToken).toBeTypeOf('bigint');
    const failures = await audit.failures({ pipeline: 'crashy', since: new Date(0) });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ status: 'abandoned', error: expect.stringContaining('without finishing') });
    expect((await audit.lastSuccess('crashy'))?.fencingToken).toBe(result.fencingToken);
  });
});
