// Scenario 2, concurrent runners: four workers released at once by a barrier race for the same sync; exactly one
// runs at a time (the pipeline's one-active-run lock, or the watermark's lease). Then a worker is frozen with
// SIGSTOP past its lease, another takes over and finishes, and the frozen one, resumed with SIGCONT, must commit
// nothing (stale fencing token) and exit cleanly.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import { createLeaseStore } from '@pipewright/pipeline';
import { pgStateStore } from '@pipewright/watermark';
import pg from 'pg';
import { PG_URL, uniqueName } from '../../helpers/env.ts';
import { type ChildOutcome, runJob } from '../lib/child.ts';
import { createRng } from '../lib/prng.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { checkSync, SourceWriter, setupSql } from '../lib/sync-model.ts';

const JOB = join(import.meta.dirname, '..', 'jobs', 'runner-job.ts');

export interface RunnersOptions {
  lock: 'pipeline' | 'watermark';
  /** Rounds of four simultaneous starts. */
  races: number;
  /** Rounds of SIGSTOP past the lease, takeover, SIGCONT. */
  pauses: number;
  seed: number;
  pgUrl?: string;
  /** Lease of the worker that gets frozen. @default 1500 */
  ttlMs?: number;
}

export async function runnersScenario(options: RunnersOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const rng = createRng(options.seed);
  const pgUrl = options.pgUrl ?? PG_URL;
  const schema = uniqueName('pw_rel_run');
  const pool = new pg.Pool({ connectionString: pgUrl, max: 3 });
  const sql = createSqlClient(pool);
  const barrier = rng.int(1, 2 ** 30);
  const ttlMs = options.ttlMs ?? 1500;
  const problems: string[] = [];
  let refused = 0;
  let fenced = 0;
  let rowsChecked = 0;
  let lost = 0;
  let duplicated = 0;
  let workerNo = 0;
  const base = { mode: 'pg' as const, pgUrl, schema, pageSize: 4, lock: options.lock, barrier };
  const worker = (ttl: number) => {
    const n = ++workerNo;
    return { ...base, owner: `worker-${n}`, applicationName: `${schema.slice(0, 50)}_w${n}`, ttlMs: ttl };
  };
  const verify = async (label: string): Promise<void> => {
    const { rows } = await sql.query<{ key: string }>(
      `SELECT idempotency_key AS key FROM ${quoteIdentifier(schema)}.dead_letters`,
    );
    const r = await checkSync(
      sql,
      schema,
      rows.map((x) => ({ key: x.key, count: 1 })),
    );
    rowsChecked += r.rows;
    lost += r.lost + r.lostLetters;
    duplicated += r.duplicated;
    if (r.lost + r.lostLetters + r.duplicated + r.unexpected > 0) problems.push(`${label}: ${r.details.join('; ')}`);
  };
  const expectClean = (label: string, o: ChildOutcome & { hung: boolean }): void => {
    if (o.code !== 0 || o.hung) problems.push(`${label}: exit ${o.code} ${o.signal ?? ''} ${o.stderr.slice(0, 600)}`);
  };
  try {
    await sql.exec(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    await sql.exec(setupSql(schema));
    await pgStateStore(sql, { schema }).migrate();
    await createPostgresDeadLetterQueue({ sql, schema }).setup();
    const leases = createLeaseStore({ sql, schema });
    const warm = await leases.acquire('warm-up', { ttlMs: 1000, holder: 'harness' }); // migrates once, up front
    if (warm.acquired) await leases.release(warm.lease);
    const source = new SourceWriter(sql, schema, rng);

    for (let round = 0; round < options.races; round++) {
      for (let i = rng.int(6, 10); i > 0; i--) await source.mutate();
      const gate = await pool.connect();
      await gate.query('SELECT pg_advisory_lock($1)', [barrier]);
      const runs = [0, 1, 2, 3].map(() => runJob(JOB, { args: [JSON.stringify(worker(30_000))], timeoutMs: 120_000 }));
      // Release the four at once, when all of them wait at the barrier.
      for (let waited = 0; ; waited += 20) {
        const { rows } = await gate.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1`,
          [barrier],
        );
        if ((rows[0]?.n ?? 0) >= 4 || waited > 60_000) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await gate.query('SELECT pg_advisory_unlock($1)', [barrier]);
      gate.release();
      const outcomes = await Promise.all(runs);
      for (const [i, o] of outcomes.entries()) expectClean(`race ${round} worker ${i}`, o);
      // A worker that got the lock after the winner released it finds nothing to read: it ran, after, not beside.
      const acquired = outcomes.filter((o) => o.lines.includes('acquired') || o.lines.includes('done')).length;
      const held = outcomes.filter((o) => o.lines.some((l) => l.startsWith('held'))).length;
      refused += held;
      // A late starter may legitimately run after the winner released; two at once never.
      if (acquired < 1 || acquired + held !== 4) problems.push(`race ${round}: ${acquired} ran, ${held} refused`);
      if (held === 0) problems.push(`race ${round}: nobody was refused (the race did not happen)`);
      await verify(`race ${round}`);
    }

    for (let round = 0; round < options.pauses; round++) {
      for (let i = rng.int(6, 10); i > 0; i--) await source.mutate();
      const frozenConfig = { ...worker(ttlMs), freeze: true };
      let frozenChild: ChildProcess | undefined;
      let resolveFrozen: () => void = () => {};
      const frozenAt = new Promise<void>((r) => {
        resolveFrozen = r;
      });
      const frozen = runJob(JOB, {
        args: [JSON.stringify(frozenConfig)],
        timeoutMs: 120_000,
        onEvent: (event, child) => {
          if (event === 'freeze-me') {
            child.kill('SIGSTOP');
            frozenChild = child;
            resolveFrozen();
          }
        },
      });
      const stillRunning = await Promise.race([frozenAt.then(() => true), frozen.then(() => false)]);
      if (!stillRunning) {
        const o = await frozen;
        problems.push(
          `pause ${round}: the worker finished before it could be frozen: ${o.lines} ${o.stderr.slice(0, 400)}`,
        );
        continue;
      }
      const { rows: before } = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${quoteIdentifier(schema)}.apply_log WHERE app = $1`,
        [frozenConfig.applicationName],
      );
      await new Promise((r) => setTimeout(r, ttlMs + 500));
      await source.mutate();
      const takeover = await runJob(JOB, { args: [JSON.stringify(worker(30_000))], timeoutMs: 120_000 });
      expectClean(`pause ${round} takeover`, takeover);
      if (!takeover.lines.includes('done')) problems.push(`pause ${round}: takeover did not finish: ${takeover.lines}`);
      const position = (await pgStateStore(sql, { schema }).get('sync'))?.position;
      frozenChild?.kill('SIGCONT');
      const resumed = await frozen;
      expectClean(`pause ${round} resumed`, resumed);
      const wasFenced = resumed.lines.some((l) => l.startsWith('fenced'));
      if (wasFenced) fenced++;
      else problems.push(`pause ${round}: the resumed worker was not fenced: ${resumed.lines.join(' | ')}`);
      const { rows: after } = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${quoteIdentifier(schema)}.apply_log WHERE app = $1`,
        [frozenConfig.applicationName],
      );
      if (after[0]?.n !== before[0]?.n) {
        problems.push(
          `pause ${round}: the fenced worker wrote ${(after[0]?.n ?? 0) - (before[0]?.n ?? 0)} rows after SIGCONT`,
        );
        duplicated += (after[0]?.n ?? 0) - (before[0]?.n ?? 0);
      }
      const positionAfter = (await pgStateStore(sql, { schema }).get('sync'))?.position;
      if (JSON.stringify(position) !== JSON.stringify(positionAfter)) {
        problems.push(`pause ${round}: the fenced worker moved the position`);
      }
      await verify(`pause ${round}`);
    }
    return {
      scenario: `runners_${options.lock}`,
      iterations: options.races + options.pauses,
      faults: refused + fenced,
      rowsChecked,
      lost,
      duplicated,
      ok: problems.length === 0 && lost === 0 && duplicated === 0,
      notes: [
        ...problems,
        `${refused} starts refused while another ran; ${fenced} frozen workers fenced after SIGCONT`,
      ],
      seconds: (performance.now() - started) / 1000,
      extra: { refused, fenced },
    };
  } finally {
    await sql.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`).catch(() => {});
    await pool.end();
  }
}
