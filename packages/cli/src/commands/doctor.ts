import { assertServerVersion, qualifiedName, type SqlClient } from '@pipewright/core';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import { stateMigrations } from '@pipewright/watermark';
import type { Command } from 'commander';
import { CannotConnectError, CliUsageError, EXIT } from '../errors.ts';
import { appliedVersion } from '../internal/connect.ts';
import { act, type Ctx, examples, type Run } from '../internal/context.ts';
import { age, json, parseDuration, table } from '../internal/format.ts';
import { readLeases } from './state.ts';

type Status = 'ok' | 'warn' | 'fail';
interface Check {
  check: string;
  status: Status;
  detail: string;
  fix?: string;
}

async function migrations(ctx: Ctx, sql: SqlClient, dlqTable: string): Promise<Check[]> {
  const { auditMigrations, leaseMigrations } = await import('@pipewright/pipeline');
  const components: [string, string, number | undefined, string][] = [
    [ctx.schema('public'), `dlq:${dlqTable}`, undefined, 'call setup() on your dead-letter queue'],
    [ctx.schema('public'), 'watermark', stateMigrations.length, 'call pgStateStore(sql).migrate()'],
    [
      ctx.schema('pipewright'),
      'run-audit',
      auditMigrations.length,
      'run a job with createRunAudit() (it migrates on first use)',
    ],
    [
      ctx.schema('pipewright'),
      'leases',
      leaseMigrations.length,
      'run a job with a lock (createLeaseStore migrates on first use)',
    ],
  ];
  const checks: Check[] = [];
  for (const [schema, component, expected, fix] of components) {
    const version = await appliedVersion(sql, schema, component);
    const name = `migrations ${component}`;
    if (version === 0)
      checks.push({ check: name, status: 'warn', detail: `not set up in schema "${schema}" (fine if unused)`, fix });
    else if (expected !== undefined && version < expected) {
      checks.push({ check: name, status: 'fail', detail: `at ${version} of ${expected}`, fix: `upgrade: ${fix}` });
    } else if (expected !== undefined && version > expected) {
      checks.push({
        check: name,
        status: 'warn',
        detail: `at ${version}, newer than this CLI knows (${expected})`,
        fix: 'upgrade @pipewright/cli',
      });
    } else checks.push({ check: name, status: 'ok', detail: `version ${version} in schema "${schema}"` });
  }
  return checks;
}

async function postgresChecks(ctx: Ctx): Promise<Check[]> {
  const sql = await ctx.conn.sql();
  const checks: Check[] = [];
  try {
    await assertServerVersion(sql);
    checks.push({ check: 'postgres', status: 'ok', detail: 'connected, version supported' });
  } catch (error) {
    checks.push({
      check: 'postgres',
      status: 'fail',
      detail: (error as Error).message,
      fix: 'upgrade to PostgreSQL 15 or newer',
    });
  }
  const { rows } = await sql.query<{ wal_level: string }>('SHOW wal_level');
  const level = rows[0]?.wal_level ?? 'unknown';
  checks.push(
    level === 'logical'
      ? { check: 'wal_level', status: 'ok', detail: 'logical (CDC possible)' }
      : {
          check: 'wal_level',
          status: 'warn',
          detail: `${level}: CDC (logicalChanges) will refuse to start`,
          fix: 'only for CDC: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL',
        },
  );
  const dlqTable = String(ctx.opts.dlqTable);
  const migrationChecks = await migrations(ctx, sql, dlqTable);
  checks.push(...migrationChecks);

  const leases = await readLeases(ctx);
  const now = ctx.clock.now();
  const stale = leases.filter((l) => l.kind === 'state' && l.expired);
  const held = leases.filter((l) => !l.expired);
  checks.push(
    stale.length === 0
      ? { check: 'leases', status: 'ok', detail: `${held.length} held, none abandoned` }
      : {
          check: 'leases',
          status: 'warn',
          detail: `${stale.length} expired but never released: ${stale.map((l) => `${l.name} (${l.holder}, ${age(now - l.expiresAt.getTime())} ago)`).join(', ')}`,
          fix: "a runner died; the next run takes over automatically — check the holder's logs (pipewright state leases)",
        },
  );

  if (migrationChecks[0]?.status === 'ok') {
    const backlogAge = parseDuration(String(ctx.opts.backlogAge));
    if (backlogAge === undefined)
      throw new CliUsageError(`Expected --backlog-age to be a duration like 24h, got "${ctx.opts.backlogAge}"`);
    const dlq = createPostgresDeadLetterQueue({ sql, schema: ctx.schema('public'), table: dlqTable, clock: ctx.clock });
    const parked = await dlq.count({ state: 'parked' });
    const old = await dlq.count({ state: 'pending', failedBefore: new Date(now - backlogAge) });
    const pending = await dlq.count({ state: 'pending' });
    if (parked > 0) {
      checks.push({
        check: 'dead letters',
        status: 'fail',
        detail: `${parked} parked (poison), ${pending} pending`,
        fix: 'pipewright dlq list --state parked; fix, then pipewright dlq redrive --state parked',
      });
    } else if (old > 0) {
      checks.push({
        check: 'dead letters',
        status: 'warn',
        detail: `${old} of ${pending} pending are older than ${ctx.opts.backlogAge}`,
        fix: `pipewright dlq stats --state pending --older-than ${ctx.opts.backlogAge}`,
      });
    } else checks.push({ check: 'dead letters', status: 'ok', detail: `${pending} pending, none parked` });
  }
  if ((await appliedVersion(sql, ctx.schema('pipewright'), 'run-audit')) > 0) {
    const { rows: stuck } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${qualifiedName(ctx.schema('pipewright'), 'pipeline_runs')}
       WHERE status = 'running' AND started_at < $1`,
      [new Date(now - 24 * 3_600_000)],
    );
    const n = stuck[0]?.n ?? 0;
    checks.push(
      n === 0
        ? { check: 'runs', status: 'ok', detail: 'no run has been running for over 24h' }
        : {
            check: 'runs',
            status: 'warn',
            detail: `${n} run(s) marked running for over 24h`,
            fix: 'pipewright runs list --status running; the next locked run marks dead ones abandoned',
          },
    );
  }
  return checks;
}

async function redisChecks(ctx: Ctx): Promise<Check[]> {
  const redis = await ctx.conn.redis();
  const checks: Check[] = [{ check: 'redis', status: 'ok', detail: 'connected' }];
  try {
    const config = (await redis.config('GET', 'appendonly')) as string[];
    checks.push(
      config[1] === 'yes'
        ? { check: 'redis persistence', status: 'ok', detail: 'appendonly yes' }
        : {
            check: 'redis persistence',
            status: 'warn',
            detail: 'appendonly no: dead letters and state are lost on a restart',
            fix: 'CONFIG SET appendonly yes (and in redis.conf)',
          },
    );
  } catch {
    checks.push({
      check: 'redis persistence',
      status: 'warn',
      detail: 'CONFIG GET not allowed; cannot tell',
      fix: 'make sure appendonly is yes',
    });
  }
  return checks;
}

export function registerDoctor(program: Command, run: Run): void {
  program
    .command('doctor')
    .description('check connectivity, migrations, wal_level, leases and the dead-letter backlog; says what to fix')
    .option('--dlq-table <name>', 'dead-letter table', 'dead_letters')
    .option('--backlog-age <age>', 'pending dead letters older than this are a warning', '24h')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('pipewright doctor', 'PG_URL=postgres://etl@db/etl pipewright doctor --json'))
    .action(
      act(run, async (ctx) => {
        const { pgUrl, redisUrl } = ctx.conn.settings;
        if (!pgUrl && !redisUrl)
          throw new CliUsageError('Nothing to check: pass --pg-url and/or --redis-url (or set PG_URL / REDIS_URL)');
        const checks: Check[] = [];
        let unreachable = false;
        for (const [enabled, probe, name] of [
          [pgUrl, postgresChecks, 'postgres'],
          [redisUrl, redisChecks, 'redis'],
        ] as const) {
          if (!enabled) continue;
          try {
            checks.push(...(await probe(ctx)));
          } catch (error) {
            if (!(error instanceof CannotConnectError)) throw error;
            unreachable = true;
            checks.push({
              check: name,
              status: 'fail',
              detail: error.message,
              fix: 'check the URL, the network and that the server is up',
            });
          }
        }
        if (ctx.json) ctx.out(json(checks).trimEnd());
        else {
          const mark = {
            ok: ctx.paint('green', 'ok'),
            warn: ctx.paint('yellow', 'warn'),
            fail: ctx.paint('red', 'FAIL'),
          };
          ctx.out(
            table(
              ['CHECK', 'STATUS', 'DETAIL'],
              checks.map((c) => [c.check, mark[c.status], c.detail]),
              ctx.paint,
            ),
          );
          const fixes = checks.filter((c) => c.fix && c.status !== 'ok');
          if (fixes.length > 0) ctx.out(`\nTo fix:\n${fixes.map((c) => `  - ${c.check}: ${c.fix}`).join('\n')}`);
        }
        if (unreachable) return EXIT.connect;
        return checks.some((c) => c.status === 'fail') ? EXIT.failure : EXIT.ok;
      }),
    );
}
