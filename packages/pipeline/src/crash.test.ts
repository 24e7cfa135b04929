import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '@pipewright/core';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL } from '../../../test/helpers/env.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { createRunAudit } from './audit/audit.ts';
import { job } from './job.ts';
import { createLeaseStore } from './lease.ts';
import { step } from './step.ts';

// A real process holding the lock is killed with SIGKILL mid-step: no `finally`, no release, no audit update.
const db = useTestDatabase();
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const T0 = Date.UTC(2026, 10, 21, 3, 0);
const TTL = 60_000;
const script = join(root, 'test/fixtures/pipeline-crash-worker.ts');
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

function startDoomedWorker(): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    child = spawn(join(root, 'node_modules/.bin/node'), ['--conditions=@pipewright/source', script], {
      cwd: root,
      env: { ...process.env, PG_URL, PW_SCHEMA: db.schema, PW_T0: String(T0), PW_TTL: String(TTL) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolvePromise();
    });
    child.on('exit', (code) => reject(new Error(`worker exited early (${code}): ${err}`)));
  });
}

describe('a worker killed mid-run', () => {
  it('keeps others out until its lease expires; the next run takes over and marks the dead run abandoned', async () => {
    await startDoomedWorker();
    const exited = new Promise((r) => child?.once('exit', r));
    child?.kill('SIGKILL');
    await exited;

    const clock = new FakeClock(T0 + 1000);
    const audit = createRunAudit({ sql: db.sql, schema: db.schema, clock });
    const leases = createLeaseStore({ sql: db.sql, schema: db.schema, clock });
    let ran = 0;
    const nightly = job(
      'nightly',
      [
        step('load', async () => {
          ran++;
        }),
      ],
      { clock, audit, lock: { leases, ttlMs: TTL, holder: 'survivor' } },
    );

    const blocked = await nightly.run();
    expect(blocked.status).toBe('already_running');
    expect(blocked.heldBy?.holder).toBe('doomed-worker');
    expect(ran).toBe(0);

    clock.set(T0 + TTL); // the dead worker's lease has expired
    const recovered = await nightly.run();
    expect(recovered.status).toBe('succeeded');
    expect(ran).toBe(1);
    expect(recovered.fencingToken! > blocked.heldBy!.token).toBe(true);

    const failures = await audit.failures({ pipeline: 'nightly', since: new Date(T0 - 1) });
    expect(failures.map((f) => f.status)).toEqual(['abandoned']);
    expect(failures[0]?.fencingToken).toBe(blocked.heldBy?.token);
    expect((await audit.lastSuccess('nightly'))?.runId).toBe(recovered.runId);
  });
});
