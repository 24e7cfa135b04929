import { randomUUID } from 'node:crypto';
import { FakeClock } from '@pipewright/core';
import { createLeaseStore, createRunAudit } from '@pipewright/pipeline';
import { pgStateStore, redisStateStore } from '@pipewright/watermark';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CapturedRun, type CaptureOptions, captureIo } from '../../../test/helpers/cli-io.ts';
import { PG_URL, REDIS_URL } from '../../../test/helpers/env.ts';
import { useTestRedis } from '../../../test/helpers/redis.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { main } from './main.ts';

const db = useTestDatabase();

async function cli(argv: string[], options: CaptureOptions = {}): Promise<CapturedRun> {
  const { io, captured } = captureIo({ env: { PG_URL }, ...options });
  const code = await main(['--schema', db.schema, ...argv], io);
  return { code, ...captured };
}

const okRun = randomUUID();
const failedRun = randomUUID();
const counts = { in: 10, out: 10, rejected: 0, deadLettered: 0 };

describe('before anything is set up', () => {
  it('state and runs say which migration is missing, exit 3, and create nothing', async () => {
    const state = await cli(['state', 'show']);
    expect(state.code).toBe(3);
    expect(state.err).toContain('No "watermark" migration');
    const runs = await cli(['runs', 'list']);
    expect(runs.code).toBe(3);
    expect(runs.err).toContain('No "run-audit" migration');
    const { rows } = await db.sql.query(`SELECT 1 FROM pg_tables WHERE schemaname = $1`, [db.schema]);
    expect(rows).toHaveLength(0);
  });
});

describe('state and runs', () => {
  beforeAll(async () => {
    const store = pgStateStore(db.sql, { schema: db.schema });
    await store.migrate();
    await store.commit('orders-sync', { cursor: '2026-11-20T10:00:00Z', key: 42 });
    await store.commit('users-sync', { cursor: '2026-11-19T00:00:00Z', key: 7 });
    await store.acquire('users-sync', { owner: 'worker-1', ttlMs: 60_000 });
    await createLeaseStore({ sql: db.sql, schema: db.schema }).acquire('pipeline:orders-sync', {
      ttlMs: 60_000,
      holder: 'host-a:123',
    });

    const audit = createRunAudit({ sql: db.sql, schema: db.schema });
    const t0 = new Date(Date.now() - 3_600_000);
    await audit.startRun({
      runId: okRun,
      pipeline: 'orders-sync',
      startedAt: t0,
      fencingToken: 1n,
      abandonPrevious: false,
    });
    await audit.finishRun({
      runId: okRun,
      status: 'succeeded',
      finishedAt: new Date(t0.getTime() + 5000),
      durationMs: 5000,
      counts,
      failedStep: undefined,
      error: undefined,
    });
    const t1 = new Date(Date.now() - 600_000);
    await audit.startRun({
      runId: failedRun,
      pipeline: 'orders-sync',
      startedAt: t1,
      fencingToken: 2n,
      abandonPrevious: false,
    });
    const step = { startedAt: t1, finishedAt: t1, durationMs: 12, attempts: 1, counts, checksum: undefined };
    await audit.recordStep(failedRun, {
      ...step,
      name: 'extract',
      status: 'succeeded',
      error: undefined,
      skippedBecause: undefined,
    });
    await audit.recordStep(failedRun, {
      ...step,
      name: 'load',
      status: 'failed',
      attempts: 3,
      error: new Error('deadlock detected'),
      skippedBecause: undefined,
    });
    await audit.recordStep(failedRun, {
      ...step,
      name: 'publish',
      status: 'skipped',
      error: undefined,
      skippedBecause: 'load failed',
    });
    await audit.finishRun({
      runId: failedRun,
      status: 'failed',
      finishedAt: new Date(t1.getTime() + 900),
      durationMs: 900,
      counts,
      failedStep: 'load',
      error: 'deadlock detected',
    });
  });

  it('state show lists every key with its lease, and one key with JSON', async () => {
    const all = await cli(['state', 'show']);
    expect(all.code).toBe(0);
    const lines = all.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY\s+POSITION\s+TOKEN\s+LEASE\s+UPDATED$/);
    // jsonb orders keys its own way
    expect(lines[1]).toMatch(/^orders-sync\s+\{"key":42,"cursor":"2026-11-20T10:00:00Z"\}\s+0\s+-/);
    expect(lines[2]).toMatch(/^users-sync .* worker-1 \(\d+s left\)/);
    const one = JSON.parse((await cli(['state', 'show', 'orders-sync', '--json'])).out) as { position: unknown };
    expect(one.position).toEqual({ cursor: '2026-11-20T10:00:00Z', key: 42 });
    expect((await cli(['state', 'show', 'nope'])).code).toBe(1);
  });

  it('rewinds with a reason (audited), asking first on a TTY', async () => {
    const to = JSON.stringify({ cursor: '2026-11-18T00:00:00Z', key: 0 });
    const refused = await cli(['state', 'rewind', 'orders-sync', '--to', to, '--reason', 'reload after fix']);
    expect(refused.code).toBe(2);
    const noReason = await cli(['state', 'rewind', 'orders-sync', '--to', to, '--yes']);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain("required option '--reason <why>' not specified");
    const both = await cli(['state', 'rewind', 'orders-sync', '--to', to, '--clear', '--reason', 'x', '--yes']);
    expect(both.code).toBe(2);

    const done = await cli(['state', 'rewind', 'orders-sync', '--to', to, '--reason', 'reload after fix'], {
      stdinTTY: true,
      input: 'yes\n',
    });
    expect(done.code).toBe(0);
    expect(done.err).toContain('Rewind "orders-sync" from {"key":42,"cursor":"2026-11-20T10:00:00Z"} to');
    const store = pgStateStore(db.sql, { schema: db.schema });
    expect((await store.get('orders-sync'))?.position).toEqual({ cursor: '2026-11-18T00:00:00Z', key: 0 });
    const audit = await store.audit('orders-sync');
    expect(audit.at(-1)).toMatchObject({ reason: 'reload after fix', before: { key: 42 }, after: { key: 0 } });
    expect(audit.at(-1)?.actor).toMatch(/^cli:/);
    const shown = await cli(['state', 'show', 'orders-sync']);
    expect(shown.out).toContain('rewinds');
    expect(shown.out).toContain('reload after fix');
  });

  it('state leases shows who holds which lease', async () => {
    const human = await cli(['state', 'leases']);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/pipeline\s+pipeline:orders-sync\s+host-a:123/);
    expect(human.out).toMatch(/state\s+users-sync\s+worker-1\s+\d+\s+\S+\s+held/);
    const later = new FakeClock(Date.now() + 3_600_000);
    const rows = JSON.parse((await cli(['state', 'leases', '--json'], { clock: later })).out) as { expired: boolean }[];
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.expired)).toBe(true);
  });

  it('runs list, newest first, filtered by status', async () => {
    const all = await cli(['runs', 'list']);
    expect(all.code).toBe(0);
    const lines = all.out.trimEnd().split('\n');
    expect(lines[1]).toContain(failedRun);
    expect(lines[2]).toContain(okRun);
    const failed = JSON.parse((await cli(['runs', 'list', '--status', 'failed', '--json'])).out) as { runId: string }[];
    expect(failed.map((r) => r.runId)).toEqual([failedRun]);
    expect((await cli(['runs', 'list', '--status', 'weird'])).code).toBe(2);
  });

  it('runs show of a failed run shows the failing step, its error and what was skipped (exit 1)', async () => {
    const shown = await cli(['runs', 'show', failedRun]);
    expect(shown.code).toBe(1);
    expect(shown.out).toContain('Failed at step: load');
    expect(shown.out).toContain('Error: deadlock detected');
    expect(shown.out).toContain('Skipped: publish (load failed)');
    expect(shown.out).toMatch(/load\s+failed\s+3/);
    const asJson = JSON.parse((await cli(['runs', 'show', failedRun, '--json'])).out) as {
      failedStep: string;
      steps: { name: string; error?: string }[];
    };
    expect(asJson.failedStep).toBe('load');
    expect(asJson.steps.find((s) => s.name === 'load')?.error).toBe('deadlock detected');
    expect((await cli(['runs', 'show', okRun])).code).toBe(0);
    expect((await cli(['runs', 'show', 'not-a-uuid'])).code).toBe(2);
    expect((await cli(['runs', 'show', randomUUID()])).code).toBe(1);
  });

  it('runs last-success answers "when did this last succeed?"', async () => {
    const answer = await cli(['runs', 'last-success', 'orders-sync']);
    expect(answer.code).toBe(0);
    expect(answer.out).toMatch(new RegExp(`orders-sync last succeeded .* \\(59m \\d+s ago\\), run ${okRun}`));
    expect(answer.out).toContain(`Since then: run ${failedRun} failed`);
    const never = await cli(['runs', 'last-success', 'nightly', '--json']);
    expect(never.code).toBe(1);
    expect(JSON.parse(never.out)).toEqual({ pipeline: 'nightly', lastSuccess: null, lastFinished: null });
  });
});

describe('state in Redis', () => {
  const redis = useTestRedis();

  it('lists keys, rewinds with a reason and shows leases of a Redis state store', async () => {
    const prefix = `${redis.prefix}wm:`;
    const store = redisStateStore(redis.redis, { prefix });
    await store.commit('events', { id: 10 });
    await store.commit('events#1', { id: 20 });
    await store.acquire('events#1', { owner: 'worker-9', ttlMs: 60_000 });
    const base = ['--backend', 'redis', '--state-prefix', prefix];
    const env = { REDIS_URL };
    const shown = await cli(['state', 'show', ...base, '--json'], { env });
    expect(shown.code).toBe(0);
    expect((JSON.parse(shown.out) as { key: string; position: unknown }[]).map((r) => [r.key, r.position])).toEqual([
      ['events', { id: 10 }],
      ['events#1', { id: 20 }],
    ]);
    const rewound = await cli(
      ['state', 'rewind', 'events', '--to', '{"id":5}', '--reason', 'replay', '--yes', ...base],
      { env },
    );
    expect(rewound.code).toBe(0);
    expect((await store.get('events'))?.position).toEqual({ id: 5 });
    expect((await store.audit('events')).at(-1)).toMatchObject({ reason: 'replay', before: { id: 10 } });
    const leases = await cli(['state', 'leases', ...base], { env });
    expect(leases.code).toBe(0);
    expect(leases.out).toMatch(/state\s+events#1\s+worker-9/);
    expect(leases.out).not.toMatch(/pipeline\s/);
  });
});
