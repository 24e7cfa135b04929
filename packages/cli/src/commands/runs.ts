import { qualifiedName, type SqlClient } from '@pipewright/core';
import type { AuditRun, AuditStep, RunAudit } from '@pipewright/pipeline';
import type { Command } from 'commander';
import { CliUsageError, EXIT } from '../errors.ts';
import { requireMigrated } from '../internal/connect.ts';
import { act, type Ctx, examples, positiveInt, type Run } from '../internal/context.ts';
import { age, cut, json, type Paint, parseDuration, table, when } from '../internal/format.ts';

const STATUSES = ['running', 'succeeded', 'failed', 'abandoned'] as const;

async function openAudit(ctx: Ctx): Promise<{ sql: SqlClient; schema: string; audit: RunAudit }> {
  const sql = await ctx.conn.sql();
  const schema = ctx.schema('pipewright');
  // Checked first: the audit migrates on first use, and an inspection must not create tables.
  await requireMigrated(sql, schema, 'run-audit', 'run a job with an audit (createRunAudit) once');
  const { createRunAudit } = await import('@pipewright/pipeline'); // heavy: loaded only by `runs`
  return { sql, schema, audit: createRunAudit({ sql, schema, clock: ctx.clock }) };
}

interface RunRow {
  run_id: string;
  pipeline: string;
  status: AuditRun['status'];
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
  rows_in: number;
  rows_out: number;
  rows_rejected: number;
  rows_dead_lettered: number;
  failed_step: string | null;
  error: string | null;
}

const toRun = (r: RunRow): Omit<AuditRun, 'fencingToken'> => ({
  runId: r.run_id,
  pipeline: r.pipeline,
  status: r.status,
  startedAt: new Date(r.started_at),
  finishedAt: r.finished_at ? new Date(r.finished_at) : undefined,
  durationMs: r.duration_ms ?? undefined,
  counts: { in: r.rows_in, out: r.rows_out, rejected: r.rows_rejected, deadLettered: r.rows_dead_lettered },
  failedStep: r.failed_step ?? undefined,
  error: r.error ?? undefined,
});

// The audit offers last success / failures / steps but no listing or lookup by id: two read-only queries.
const COLUMNS = `run_id::text, pipeline, status, started_at, finished_at, duration_ms::float8 AS duration_ms,
  rows_in::float8 AS rows_in, rows_out::float8 AS rows_out, rows_rejected::float8 AS rows_rejected,
  rows_dead_lettered::float8 AS rows_dead_lettered, failed_step, error`;

const statusText = (paint: Paint, status: string): string =>
  status === 'succeeded' ? paint('green', status) : status === 'running' ? paint('cyan', status) : paint('red', status);

const duration = (ms: number | undefined): string => (ms === undefined ? '-' : ms < 1000 ? `${ms}ms` : age(ms));

function runTable(ctx: Ctx, runs: readonly Omit<AuditRun, 'fencingToken'>[]): string {
  return table(
    ['RUN', 'PIPELINE', 'STATUS', 'STARTED', 'DURATION', 'IN', 'OUT', 'DLQ', 'FAILED STEP'],
    runs.map((r) => [
      r.runId,
      r.pipeline,
      statusText(ctx.paint, r.status),
      when(r.startedAt),
      duration(r.durationMs),
      String(r.counts.in),
      String(r.counts.out),
      String(r.counts.deadLettered),
      r.failedStep ?? '-',
    ]),
    ctx.paint,
  );
}

function stepTable(ctx: Ctx, steps: readonly AuditStep[]): string {
  return table(
    ['STEP', 'STATUS', 'ATTEMPTS', 'DURATION', 'IN', 'OUT', 'REJECTED', 'DLQ', 'NOTE'],
    steps.map((s) => [
      s.name,
      s.status === 'skipped' ? ctx.paint('yellow', s.status) : statusText(ctx.paint, s.status),
      String(s.attempts),
      duration(s.durationMs),
      String(s.counts.in),
      String(s.counts.out),
      String(s.counts.rejected),
      String(s.counts.deadLettered),
      s.error ? cut(s.error.message, 60) : s.skippedBecause ? `skipped: ${cut(s.skippedBecause, 50)}` : '',
    ]),
    ctx.paint,
  );
}

const stepJson = (s: AuditStep): unknown => ({ ...s, error: s.error?.message });

export function registerRuns(runs: Command, run: Run): void {
  runs
    .command('list')
    .description('recent runs, newest first')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--status <status>', `only ${STATUSES.join(', ')}`)
    .option('--since <age>', 'started at most this long ago', '7d')
    .option('--limit <n>', 'most runs', positiveInt('--limit'), 20)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples(
        'pipewright runs list --status failed --since 24h',
        'pipewright runs list --pipeline orders-sync --json',
      ),
    )
    .action(
      act(run, async (ctx) => {
        const status = ctx.opts.status as string | undefined;
        if (status !== undefined && !STATUSES.includes(status as 'failed')) {
          throw new CliUsageError(`Expected --status to be one of ${STATUSES.join(', ')}, got "${status}"`);
        }
        const since = parseDuration(String(ctx.opts.since));
        if (since === undefined)
          throw new CliUsageError(`Expected --since to be a duration like 24h, got "${ctx.opts.since}"`);
        const { sql, schema } = await openAudit(ctx);
        const { rows } = await sql.query<RunRow>(
          `SELECT ${COLUMNS} FROM ${qualifiedName(schema, 'pipeline_runs')}
           WHERE started_at >= $1 AND ($2::text IS NULL OR pipeline = $2) AND ($3::text IS NULL OR status = $3)
           ORDER BY started_at DESC LIMIT $4`,
          [new Date(ctx.clock.now() - since), ctx.opts.pipeline ?? null, status ?? null, ctx.opts.limit],
        );
        const list = rows.map(toRun);
        if (ctx.json) ctx.out(json(list).trimEnd());
        else if (list.length === 0) ctx.out('No runs match.');
        else ctx.out(runTable(ctx, list));
        return EXIT.ok;
      }),
    );

  runs
    .command('show')
    .description('one run with its steps; a failed run shows the failing step, its error and what was skipped')
    .argument('<runId>', 'run id (uuid)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('pipewright runs show 0193a7c2-…', 'pipewright runs show 0193a7c2-… --json'))
    .action(
      act(run, async (ctx) => {
        const runId = String(ctx.args[0]);
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(runId)) {
          throw new CliUsageError(`Expected a run id (uuid), got "${runId}"`);
        }
        const { sql, schema, audit } = await openAudit(ctx);
        const { rows } = await sql.query<RunRow>(
          `SELECT ${COLUMNS} FROM ${qualifiedName(schema, 'pipeline_runs')} WHERE run_id = $1::uuid`,
          [runId],
        );
        if (!rows[0]) {
          ctx.note(`No run ${runId}.`);
          return EXIT.failure;
        }
        const found = toRun(rows[0]);
        const steps = await audit.steps(runId);
        const failed = found.status === 'failed' || found.status === 'abandoned';
        if (ctx.json) {
          ctx.out(json({ ...found, steps: steps.map(stepJson) }).trimEnd());
          return failed ? EXIT.failure : EXIT.ok;
        }
        ctx.out(runTable(ctx, [found]));
        if (failed) {
          const skipped = steps.filter((s) => s.status === 'skipped');
          ctx.out('');
          ctx.out(ctx.paint('red', `Failed at step: ${found.failedStep ?? '(none recorded)'}`));
          ctx.out(`Error: ${found.error ?? '(none recorded)'}`);
          ctx.out(
            `Skipped: ${skipped.length === 0 ? 'nothing' : skipped.map((s) => `${s.name}${s.skippedBecause ? ` (${s.skippedBecause})` : ''}`).join(', ')}`,
          );
        }
        if (steps.length > 0) ctx.out(`\n${stepTable(ctx, steps)}`);
        return failed ? EXIT.failure : EXIT.ok;
      }),
    );

  runs
    .command('last-success')
    .description('when did this pipeline last succeed? (exit 1 when never)')
    .argument('<pipeline>', 'pipeline name')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples(
        'pipewright runs last-success orders-sync',
        'pipewright runs last-success orders-sync --json | jq -r .lastSuccess.finishedAt',
      ),
    )
    .action(
      act(run, async (ctx) => {
        const pipeline = String(ctx.args[0]);
        const { audit } = await openAudit(ctx);
        const success = await audit.lastSuccess(pipeline);
        const last = await audit.lastFinished(pipeline);
        if (ctx.json) ctx.out(json({ pipeline, lastSuccess: success ?? null, lastFinished: last ?? null }).trimEnd());
        else if (!success)
          ctx.out(
            `${pipeline} has never succeeded${last ? ` (last run ${last.status} at ${when(last.finishedAt)})` : ''}.`,
          );
        else {
          const finished = success.finishedAt ?? success.startedAt;
          ctx.out(
            `${pipeline} last succeeded ${when(finished)} (${age(ctx.clock.now() - finished.getTime())} ago), run ${success.runId}.`,
          );
          if (last && last.runId !== success.runId) {
            ctx.out(ctx.paint('yellow', `Since then: run ${last.runId} ${last.status} at ${when(last.finishedAt)}.`));
          }
        }
        return success ? EXIT.ok : EXIT.failure;
      }),
    );
}
