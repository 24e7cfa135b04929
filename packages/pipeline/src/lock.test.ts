import { createSqlClient, FakeClock } from '@pipewright/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL } from '../../../test/helpers/env.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { createRunAudit } from './audit/audit.ts';
import { AlreadyRunningError, LeaseLostError } from './errors.ts';
import { job } from './job.ts';
import { createLeaseStore } from './lease.ts';
import { step } from './step.ts';
import type { StepContext } from './types.ts';

// Real PostgreSQL only: two processes are simulated by two pools, i.e. two separate server connections.
const db = useTestDatabase();
const otherPool = new pg.Pool({ connectionString: PG_URL, max: 2 });
afterAll(() => otherPool.end());

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe('one active run per pipeline', () => {
  it('refuses a second concurrent start with `already_running`, from another connection', async () => {
    const release = gate();
    const started = gate();
    let secondRan = false;
    const leasesA = createLeaseStore({ sql: db.sql, schema: db.schema });
    const leasesB = createLeaseStore({ sql: createSqlClient(otherPool), schema: db.schema });
    const a = job(
      'orders-sync',
      [
        step('load', async () => {
          started.open();
          await release.promise;
        }),
      ],
      { lock: { leases: leasesA, holder: 'worker-a' } },
    );
    const b = job(
      'orders-sync',
      [
        step('load', async () => {
          secondRan = true;
        }),
      ],
      { lock: { leases: leasesB, holder: 'worker-b' } },
    );
    const first = a.run();
    await started.promise;
    const second = await b.run();
    expect(second.status).toBe('already_running');
    expect(second.heldBy?.holder).toBe('worker-a');
    expect(second.error).toBeInstanceOf(AlreadyRunningError);
    expect(second.error?.message).toMatch(
      /^Pipeline "orders-sync" is already running \(held by worker-a with token \d+ until .+Z\); this start did nothing$/,
    );
    expect(second.steps).toEqual([]);
    expect(secondRan).toBe(false);
    release.open();
    const done = await first;
    expect(done.status).toBe('succeeded');
    expect(second.heldBy?.token).toBe(done.fencingToken);
    // Released at the end: the next start goes ahead with a larger token.
    const third = await b.run();
    expect(third.status).toBe('succeeded');
    expect(secondRan).toBe(true);
    expect(third.fencingToken! > done.fencingToken!).toBe(true);
  });

  it('lets exactly one of two simultaneous starts run', async () => {
    const release = gate();
    const ran: string[] = [];
    const make = (who: string, sql: ReturnType<typeof createSqlClient>) =>
      job(
        'simultaneous',
        [
          step('work', async () => {
            ran.push(who);
            await release.promise;
          }),
        ],
        { lock: { leases: createLeaseStore({ sql, schema: db.schema }), holder: who } },
      );
    const runs = [make('a', db.sql).run(), make('b', createSqlClient(otherPool)).run()];
    const firstDone = await Promise.race(runs);
    expect(firstDone.status).toBe('already_running');
    release.open();
    const statuses = (await Promise.all(runs)).map((r) => r.status).sort();
    expect(statuses).toEqual(['already_running', 'succeeded']);
    expect(ran).toHaveLength(1);
  });

  it('keeps the lease alive by heartbeat, and stops the run when another holder takes it over', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 4));
    const store = createLeaseStore({ sql: db.sql, schema: db.schema, clock });
    let renewals = 0;
    const leases = {
      ...store,
      renew: async (lease: Parameters<typeof store.renew>[0], ttlMs: number) => {
        try {
          return await store.renew(lease, ttlMs);
        } finally {
          renewals++;
        }
      },
    };
    const rival = createLeaseStore({ sql: createSqlClient(otherPool), schema: db.schema, clock });
    const started = gate();
    let commitError: unknown;
    let afterRan = false;
    const long = step('long', async (ctx: StepContext) => {
      started.open();
      try {
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      } finally {
        // A commit attempted with the stale token is refused.
        commitError = await db.sql.transaction((tx) => ctx.checkLease(tx)).catch((e: unknown) => e);
      }
    });
    const after = step(
      'after',
      async () => {
        afterRan = true;
      },
      { dependsOn: ['long'] },
    );
    const running = job('heartbeat', [long, after], { clock, lock: { leases, ttlMs: 3000, heartbeatMs: 1000 } }).run();
    await started.promise;
    const until = async (condition: () => boolean): Promise<void> => {
      while (!condition()) await new Promise((r) => setTimeout(r, 1));
    };
    for (let beat = 1; beat <= 6; beat++) {
      await clock.advance(1000);
      await until(() => renewals === beat);
    }
    // Six seconds in, twice the TTL: only the heartbeat keeps the rival out.
    expect((await rival.acquire('heartbeat', { ttlMs: 3000, holder: 'rival' })).acquired).toBe(false);
    // A takeover behind our back (as if our renewals had stalled past expiry while the rival got in).
    await otherPool.query(
      `UPDATE ${db.qschema}.pipewright_leases SET token = nextval('${db.qschema}.pipewright_lease_tokens'), holder = 'rival' WHERE name = 'heartbeat'`,
    );
    await clock.advance(1000);
    const result = await running;
    expect(result.status).toBe('failed');
    expect(result.steps[0]?.error).toBeInstanceOf(LeaseLostError);
    expect(result.steps[0]?.error?.message).toContain('another holder took it over');
    expect(result.steps[1]).toMatchObject({ status: 'skipped' });
    expect(afterRan).toBe(false);
    expect(commitError).toBeInstanceOf(LeaseLostError);
    // The stopped run did not release the rival's lease.
    const { rows } = await otherPool.query(
      `SELECT holder FROM ${db.qschema}.pipewright_leases WHERE name = 'heartbeat'`,
    );
    expect(rows).toEqual([{ holder: 'rival' }]);
  });

  it('stops the run when the lease cannot be renewed before it expires', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 5));
    const store = createLeaseStore({ sql: db.sql, schema: db.schema, clock });
    let failedRenewals = 0;
    // The database is unreachable for renewals (the lease row itself is untouched).
    const leases = {
      ...store,
      renew: async () => {
        failedRenewals++;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    };
    const started = gate();
    const stuck = step('stuck', async (ctx: StepContext) => {
      started.open();
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    const running = job('expiring', [stuck], { clock, lock: { leases, ttlMs: 3000, heartbeatMs: 1000 } }).run();
    await started.promise;
    for (let beat = 1; beat <= 3; beat++) {
      await clock.advance(1000);
      while (failedRenewals < beat) await new Promise((r) => setTimeout(r, 1));
    }
    const result = await running;
    expect(failedRenewals).toBe(3);
    expect(result.status).toBe('failed');
    expect(result.steps[0]?.error).toBeInstanceOf(LeaseLostError);
    expect(result.steps[0]?.error?.message).toContain('not renewed before it expired (connect ECONNREFUSED');
  });

  it('rejects when the audit cannot start, runs nothing, and frees the lock', async () => {
    const leases = createLeaseStore({ sql: db.sql, schema: db.schema });
    let ran = false;
    const work = step('work', async () => {
      ran = true;
    });
    const broken = {
      ...createRunAudit({ sql: db.sql, schema: db.schema }),
      startRun: async () => {
        throw new Error('permission denied for schema pipewright');
      },
    };
    await expect(job('audited', [work], { audit: broken, lock: { leases } }).run()).rejects.toThrow(
      'permission denied',
    );
    expect(ran).toBe(false);
    const next = await job('audited', [work], { lock: { leases } }).run();
    expect(next.status).toBe('succeeded');
  });
});
