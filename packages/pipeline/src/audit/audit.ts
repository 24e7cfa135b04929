import { assertIdentifier, type Clock, migrate, quoteIdentifier, type SqlClient, systemClock } from '@pipewright/core';
import type { StepCounts } from '../types.ts';
import { auditMigrations } from './migrations.ts';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';

/** One step of a finished run, as the audit stores it. */
export interface AuditStep {
  name: string;
  status: 'succeeded' | 'failed' | 'skipped';
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
  durationMs: number;
  attempts: number;
  counts: StepCounts;
  checksum: string | undefined;
  error: Error | undefined;
  skippedBecause: string | undefined;
}

/** One run as returned by the audit queries. */
export interface AuditRun {
  runId: string;
  pipeline: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | undefined;
  durationMs: number | undefined;
  fencingToken: bigint | undefined;
  counts: StepCounts;
  failedStep: string | undefined;
  error: string | undefined;
}

export interface RunAudit {
  /** Applies the audit migrations (done automatically by the first write; reads never migrate). */
  migrate(): Promise<void>;
  /**
   * Records the start of a run. With `abandonPrevious` (set by a job holding its lock), runs of the same
   * pipeline still marked `running` are marked `abandoned`: their process died without finishing.
   */
  startRun(run: {
    runId: string;
    pipeline: string;
    startedAt: Date;
    fencingToken: bigint | undefined;
    abandonPrevious: boolean;
  }): Promise<void>;
  recordStep(runId: string, step: AuditStep): Promise<void>;
  finishRun(run: {
    runId: string;
    status: 'succeeded' | 'failed';
    finishedAt: Date;
    durationMs: number;
    counts: StepCounts;
    failedStep: string | undefined;
    error: string | undefined;
  }): Promise<void>;
  /** "When did this last succeed?": the latest succeeded run of `pipeline`, or undefined. */
  lastSuccess(pipeline: string): Promise<AuditRun | undefined>;
  /** The latest finished run of `pipeline` (any status but `running`). */
  lastFinished(pipeline: string): Promise<AuditRun | undefined>;
  /**
   * "What failed last night?": failed and abandoned runs started in [`since`, `until`), newest first.
   * @param options.since @default 24 hours before the clock's now
   */
  failures(options?: { since?: Date; until?: Date; pipeline?: string }): Promise<AuditRun[]>;
  /** The steps of one run, in the order they finished. */
  steps(runId: string): Promise<AuditStep[]>;
}

export interface RunAuditOptions {
  sql: SqlClient;
  /** Schema of the audit tables. @default 'pipewright' */
  schema?: string;
  /** @default systemClock */
  clock?: Clock;
}

const RUN_COLUMNS = `run_id::text, pipeline, status, started_at, finished_at, duration_ms::float8 AS duration_ms,
  fencing_token::text, rows_in::float8 AS rows_in, rows_out::float8 AS rows_out, rows_rejected::float8 AS rows_rejected,
  rows_dead_lettered::float8 AS rows_dead_lettered, failed_step, error`;

interface RunRow {
  run_id: string;
  pipeline: string;
  status: RunStatus;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
  fencing_token: string | null;
  rows_in: number;
  rows_out: number;
  rows_rejected: number;
  rows_dead_lettered: number;
  failed_step: string | null;
  error: string | null;
}

/** Run audit in PostgreSQL: one row per run (`pipeline_runs`) and per step (`pipeline_step_runs`). */
export function createRunAudit(options: RunAuditOptions): RunAudit {
  const schemaName = assertIdentifier(options.schema ?? 'pipewright');
  const s = quoteIdentifier(schemaName);
  const { sql } = options;
  const clock = options.clock ?? systemClock;
  let ready: Promise<unknown> | undefined;
  const prepare = (): Promise<unknown> => {
    ready ??= migrate(sql, { schema: schemaName, component: 'run-audit', migrations: auditMigrations }).catch(
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  };
  // Reads never migrate, so a role without CREATE (the on-call CLI) can read; before the first write there is
  // simply nothing to read.
  const readable = async (): Promise<boolean> => {
    if (ready) return ready.then(() => true);
    const { rows } = await sql.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
      `${s}.pipeline_step_runs`,
    ]);
    return rows[0]?.found === true;
  };
  const oneRun = async (where: string, params: unknown[]): Promise<AuditRun | undefined> => {
    if (!(await readable())) return undefined;
    const { rows } = await sql.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM ${s}.pipeline_runs ${where} LIMIT 1`, params);
    return rows[0] && toRun(rows[0]);
  };

  return {
    async migrate() {
      await prepare();
    },
    async startRun(run) {
      await prepare();
      await sql.transaction(async (tx) => {
        if (run.abandonPrevious) {
          await tx.query(
            `UPDATE ${s}.pipeline_runs SET status = 'abandoned', finished_at = $2,
               error = 'the process ended without finishing this run (crash, kill or lost lease)'
             WHERE pipeline = $1 AND status = 'running'`,
            [run.pipeline, run.startedAt],
          );
        }
        await tx.query(
          `INSERT INTO ${s}.pipeline_runs (run_id, pipeline, status, started_at, fencing_token)
           VALUES ($1, $2, 'running', $3, $4::bigint)`,
          [run.runId, run.pipeline, run.startedAt, run.fencingToken?.toString() ?? null],
        );
      });
    },
    async recordStep(runId, step) {
      await prepare();
      await sql.query(
        `INSERT INTO ${s}.pipeline_step_runs (run_id, step, status, started_at, finished_at, duration_ms, attempts,
           rows_in, rows_out, rows_rejected, rows_dead_lettered, checksum, error, error_code, skipped_because)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (run_id, step) DO NOTHING`,
        [
          runId,
          step.name,
          step.status,
          step.startedAt ?? null,
          step.finishedAt ?? null,
          Math.round(step.durationMs),
          step.attempts,
          step.counts.in,
          step.counts.out,
          step.counts.rejected,
          step.counts.deadLettered,
          step.checksum ?? null,
          step.error ? step.error.message : null,
          (step.error as { code?: unknown } | undefined)?.code?.toString() ?? null,
          step.skippedBecause ?? null,
        ],
      );
    },
    async finishRun(run) {
      await prepare();
      await sql.query(
        `UPDATE ${s}.pipeline_runs SET status = $2, finished_at = $3, duration_ms = $4, rows_in = $5, rows_out = $6,
           rows_rejected = $7, rows_dead_lettered = $8, failed_step = $9, error = $10
         WHERE run_id = $1`,
        [
          run.runId,
          run.status,
          run.finishedAt,
          Math.round(run.durationMs),
          run.counts.in,
          run.counts.out,
          run.counts.rejected,
          run.counts.deadLettered,
          run.failedStep ?? null,
          run.error ?? null,
        ],
      );
    },
    lastSuccess(pipeline) {
      return oneRun(`WHERE pipeline = $1 AND status = 'succeeded' ORDER BY finished_at DESC`, [pipeline]);
    },
    lastFinished(pipeline) {
      return oneRun(`WHERE pipeline = $1 AND status <> 'running' ORDER BY finished_at DESC`, [pipeline]);
    },
    async failures(query = {}) {
      if (!(await readable())) return [];
      const since = query.since ?? new Date(clock.now() - 24 * 3600_000);
      const { rows } = await sql.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM ${s}.pipeline_runs
         WHERE status IN ('failed', 'abandoned') AND started_at >= $1 AND ($2::timestamptz IS NULL OR started_at < $2)
           AND ($3::text IS NULL OR pipeline = $3)
         ORDER BY started_at DESC`,
        [since, query.until ?? null, query.pipeline ?? null],
      );
      return rows.map(toRun);
    },
    async steps(runId) {
      if (!(await readable())) return [];
      const { rows } = await sql.query<{
        step: string;
        status: AuditStep['status'];
        started_at: Date | null;
        finished_at: Date | null;
        duration_ms: number;
        attempts: number;
        rows_in: number;
        rows_out: number;
        rows_rejected: number;
        rows_dead_lettered: number;
        checksum: string | null;
        error: string | null;
        skipped_because: string | null;
      }>(
        `SELECT step, status, started_at, finished_at, duration_ms::float8 AS duration_ms, attempts,
           rows_in::float8 AS rows_in, rows_out::float8 AS rows_out, rows_rejected::float8 AS rows_rejected,
           rows_dead_lettered::float8 AS rows_dead_lettered, checksum, error, skipped_because
         FROM ${s}.pipeline_step_runs WHERE run_id = $1 ORDER BY finished_at NULLS LAST, step`,
        [runId],
      );
      return rows.map((r) => ({
        name: r.step,
        status: r.status,
        startedAt: r.started_at ? new Date(r.started_at) : undefined,
        finishedAt: r.finished_at ? new Date(r.finished_at) : undefined,
        durationMs: r.duration_ms,
        attempts: r.attempts,
        counts: { in: r.rows_in, out: r.rows_out, rejected: r.rows_rejected, deadLettered: r.rows_dead_lettered },
        checksum: r.checksum ?? undefined,
        error: r.error === null ? undefined : new Error(r.error),
        skippedBecause: r.skipped_because ?? undefined,
      }));
    },
  };
}

function toRun(r: RunRow): AuditRun {
  return {
    runId: r.run_id,
    pipeline: r.pipeline,
    status: r.status,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : undefined,
    durationMs: r.duration_ms ?? undefined,
    fencingToken: r.fencing_token === null ? undefined : BigInt(r.fencing_token),
    counts: { in: r.rows_in, out: r.rows_out, rejected: r.rows_rejected, deadLettered: r.rows_dead_lettered },
    failedStep: r.failed_step ?? undefined,
    error: r.error ?? undefined,
  };
}
