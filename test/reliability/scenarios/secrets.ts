// Scenario 4, injection and secrets. (a) Identifiers from configuration holding quotes, semicolons or comment
// markers are refused by every package before any SQL is sent. (b) Values that look like SQL are stored verbatim.
// (c) A password in a connection string never appears in logs, metrics, lineage events, dead letters, run audit
// rows, error messages or CLI output: a sync runs with all of them wired, then fails against a wrong password and
// an unreachable server, and everything produced is scanned for the password.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { createSqlClient, type Logger, quoteIdentifier, type SqlClient } from '@pipewright/core';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import { createLineage, postgresDataset } from '@pipewright/lineage';
import { createPipelineMetrics } from '@pipewright/metrics';
import { createLeaseStore, createRunAudit, incrementalSync, job, type StepContext, step } from '@pipewright/pipeline';
import { notNull, runSqlChecks } from '@pipewright/quality';
import { keysetPages, pgStateStore } from '@pipewright/watermark';
import { defineTable, merge } from '@pipewright/writers';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import * as promClient from 'prom-client';
import { PG_URL, uniqueName } from '../../helpers/env.ts';
import { ROOT } from '../lib/child.ts';
import { createRng } from '../lib/prng.ts';
import type { ScenarioResult } from '../lib/report.ts';
import type { PrivatePostgres } from '../lib/servers.ts';
import { SourceWriter, setupSql, sourceRow, targetTable } from '../lib/sync-model.ts';

const run = promisify(execFile);

const HOSTILE_NAMES = [
  'x"; DROP TABLE canary; --',
  "x'; DROP TABLE canary; --",
  'canary; DROP TABLE canary',
  'x/* comment */',
  'x -- comment',
  'x"y',
  '"quoted"',
  'a b',
  'tab\tname',
  'nul\u0000name',
  'public.canary; --',
];

const SQL_VALUES = [
  "'); DROP TABLE canary; --",
  'Robert"); DELETE FROM src; /*',
  "$1 $$ $tag$ E'\\x00' ::text",
  '\\\\ backslashes \\',
  "' OR '1'='1",
];

export interface SecretsOptions {
  seed: number;
  server?: PrivatePostgres;
}

export async function secretsScenario(options: SecretsOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const baseUrl = options.server?.url ?? PG_URL;
  const schema = uniqueName('pw_rel_sec');
  const s = quoteIdentifier(schema);
  const pool = new pg.Pool({ connectionString: baseUrl, max: 4 });
  const admin = createSqlClient(pool, { copyStreams });
  const problems: string[] = [];
  const notes: string[] = [];
  let cases = 0;
  let refused = 0;
  const password = `pwSecret${Math.random().toString(36).slice(2, 12)}`;
  const role = `pw_rel_role_${Math.random().toString(36).slice(2, 8)}`;
  const u = new URL(baseUrl);
  const secretUrl = `postgres://${role}:${password}@${u.host}${u.pathname}`;
  const produced: { where: string; text: string }[] = [];
  let hbaBackup: string | undefined;
  try {
    await admin.exec(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.canary (id int); ${setupSql(schema)}`);
    // ---- (a) hostile identifiers, one API at a time; a traced client records what reaches the server.
    const sent: string[] = [];
    const spy: SqlClient = spyOn(admin, sent);
    const state = pgStateStore(admin, { schema });
    await state.migrate();
    const attempts: [string, (name: string) => unknown][] = [
      ['writers defineTable table', (n) => defineTable({ table: n, columns: { id: 'bigint' }, key: 'id' })],
      [
        'writers defineTable column',
        (n) => defineTable({ table: 't', columns: { id: 'bigint', [n]: 'text' }, key: 'id' }),
      ],
      [
        'writers defineTable schema',
        (n) => defineTable({ table: { schema: n, name: 't' }, columns: { id: 'bigint' }, key: 'id' }),
      ],
      [
        'watermark keysetPages table',
        (n) => first(keysetPages(spy, { source: { table: n }, cursor: 'updated_at', key: 'id', state, stateKey: 'k' })),
      ],
      [
        'watermark keysetPages cursor',
        (n) =>
          first(
            keysetPages(spy, {
              source: { table: { schema, name: 'src' } },
              cursor: n,
              key: 'id',
              state,
              stateKey: 'k',
            }),
          ),
      ],
      [
        'watermark keysetPages key',
        (n) =>
          first(
            keysetPages(spy, {
              source: { table: { schema, name: 'src' } },
              cursor: 'updated_at',
              key: n,
              state,
              stateKey: 'k',
            }),
          ),
      ],
      ['watermark pgStateStore schema', (n) => pgStateStore(spy, { schema: n }).migrate()],
      ['dlq schema', (n) => createPostgresDeadLetterQueue({ sql: spy, schema: n }).setup()],
      ['dlq table', (n) => createPostgresDeadLetterQueue({ sql: spy, schema, table: n }).setup()],
      ['quality runSqlChecks table', (n) => runSqlChecks(spy, n, [notNull('id')])],
      ['quality runSqlChecks column', (n) => runSqlChecks(spy, { schema, name: 'src' }, [notNull(n)])],
      [
        'pipeline lease store schema',
        (n) => createLeaseStore({ sql: spy, schema: n }).acquire('x', { ttlMs: 1000, holder: 'h' }),
      ],
      ['pipeline run audit schema', (n) => createRunAudit({ sql: spy, schema: n }).lastSuccess('x')],
    ];
    for (const [api, attempt] of attempts) {
      for (const name of HOSTILE_NAMES) {
        cases++;
        const before = sent.length;
        let error: unknown;
        try {
          await attempt(name);
        } catch (e) {
          error = e;
        }
        const code = (error as { code?: unknown } | undefined)?.code;
        const leaked = sent.slice(before).filter((text) => text.includes(name) || /DROP TABLE canary/.test(text));
        if (typeof code === 'string' && code.startsWith('PW_') && leaked.length === 0) refused++;
        else
          problems.push(
            `${api} accepted ${JSON.stringify(name)}: ${error ? `${(error as Error).name} ${code}` : 'no error'}${leaked.length ? `; sent: ${leaked[0]?.slice(0, 120)}` : ''}`,
          );
      }
    }
    const { rows: canary } = await admin.query(`SELECT to_regclass($1) AS t`, [`${schema}.canary`]);
    if (!canary[0]?.t) problems.push('the canary table was dropped');

    // ---- (b) values that look like SQL are stored verbatim (target and dead letters).
    const valuesTable = defineTable({
      table: { schema, name: 'vals' },
      columns: { id: 'bigint', v: 'text', j: 'jsonb' },
      key: 'id',
    });
    await admin.exec(`CREATE TABLE ${s}.vals (id bigint PRIMARY KEY, v text, j jsonb)`);
    await merge(
      admin,
      valuesTable,
      SQL_VALUES.map((v, i) => ({ id: i + 1, v, j: { v } })),
    );
    const { rows: back } = await admin.query<{ id: string; v: string; j: { v: string } }>(
      `SELECT id::text AS id, v, j FROM ${s}.vals ORDER BY id`,
    );
    const dlq = createPostgresDeadLetterQueue({ sql: admin, schema });
    await dlq.setup();
    await dlq.sendMany(
      SQL_VALUES.map((v, i) => ({ record: { v }, error: new Error(v), pipeline: 'values', idempotencyKey: `v${i}` })),
    );
    const letters = await dlq.list({ pipeline: 'values', limit: 100 });
    SQL_VALUES.forEach((v, i) => {
      cases++;
      const ok =
        back[i]?.v === v &&
        back[i]?.j.v === v &&
        letters.some((l) => (l.record as { v?: string }).v === v && l.error.message === v);
      if (ok) refused++;
      else problems.push(`value ${JSON.stringify(v)} not stored verbatim`);
    });

    // ---- (c) secrets. A role with a password (scram when the cluster is private, so a wrong password fails).
    await admin.exec(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
    if (options.server) {
      const hba = join(options.server.dataDir, 'pg_hba.conf');
      hbaBackup = readFileSync(hba, 'utf8');
      writeFileSync(hba, `host all ${role} 127.0.0.1/32 scram-sha-256\n${hbaBackup}`);
      await admin.query('SELECT pg_reload_conf()');
    }
    const lines: string[] = [];
    const logger = capture(lines);
    const registry = new promClient.Registry();
    const events: unknown[] = [];
    const lineage = createLineage({
      namespace: 'reliability',
      transport: {
        name: 'capture',
        async send(batch) {
          events.push(...batch);
        },
      },
    });
    const metrics = createPipelineMetrics({ pipeline: 'secrets', prometheus: { registry, client: promClient } });
    const audit = createRunAudit({ sql: admin, schema });
    const leases = createLeaseStore({ sql: admin, schema });
    const inputs = [postgresDataset(secretUrl, `${schema}.src`)];
    const outputs = [postgresDataset(secretUrl, `${schema}.tgt`)];
    const source = new SourceWriter(admin, schema, createRng(options.seed));
    for (let i = 0; i < 10; i++) await source.mutate();

    const syncWith = (url: string) =>
      step(
        'sync',
        async (ctx: StepContext) => {
          const userPool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 3000 });
          userPool.on('error', () => {});
          try {
            const sql = createSqlClient(userPool, { copyStreams });
            return await incrementalSync({
              sql,
              name: 'secrets-sync',
              source: { table: { schema, name: 'src' } },
              target: targetTable(schema),
              schema: sourceRow,
              key: 'id',
              cursor: 'updated_at',
              version: 'version',
              pageSize: 10,
              state: pgStateStore(sql, { schema }),
              deadLetters: createPostgresDeadLetterQueue({ sql, schema }),
              drift: 'quarantine',
              context: ctx,
            });
          } finally {
            await userPool.end();
          }
        },
        { lineage: { inputs, outputs, client: lineage }, logger },
      );
    const outcomes: unknown[] = [];
    const bad = new URL(secretUrl);
    bad.password = `${password}x`;
    const unreachable = new URL(secretUrl);
    unreachable.port = '1';
    for (const [label, url] of [
      ['good', secretUrl],
      ['wrong password', bad.toString()],
      ['unreachable', unreachable.toString()],
    ] as const) {
      const result = await job(`secrets-${label.replace(' ', '-')}`, [syncWith(url)], {
        audit,
        lock: { leases, ttlMs: 10_000 },
        metrics,
        lineage,
        logger,
      }).run();
      outcomes.push(result);
      notes.push(
        `${label} run: ${result.status}${result.error ? ` (${(result.error as { code?: string }).code ?? result.error.name})` : ''}`,
      );
      if (label === 'good' && result.status !== 'succeeded')
        problems.push(`the good run failed: ${inspect(result.error).slice(0, 300)}`);
      if (label !== 'good' && result.status !== 'failed') problems.push(`the ${label} run did not fail loudly`);
      // What a user's job does with a failure: log it with the error object, and dead-letter the batch.
      if (result.error) logger.error({ err: result.error, result }, `run ${label} failed`);
      else logger.info({ result }, `run ${label} finished`);
      if (result.error)
        await dlq.send({
          record: { run: label },
          error: result.error,
          pipeline: 'secrets',
          idempotencyKey: `run-${label}`,
        });
    }
    await lineage.close?.();
    // CLI output, with the password in the flag.
    const cli = join(ROOT, 'packages', 'cli', 'src', 'bin.ts');
    const cliSample: string[] = [];
    for (const url of [secretUrl, bad.toString(), unreachable.toString()]) {
      const out = await run(
        join(ROOT, 'node_modules', '.bin', 'node'),
        ['--conditions=@pipewright/source', cli, 'doctor', '--pg-url', url, '--schema', schema],
        { cwd: ROOT },
      ).then(
        (r) => `${r.stdout}${r.stderr}`,
        (e: { stdout?: string; stderr?: string; message: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`,
      );
      produced.push({ where: 'cli doctor output', text: out.replaceAll(url, '<the command line>') });
      cliSample.push(
        out
          .split('\n')
          .find((l) => l.trim().length > 0)
          ?.slice(0, 100) ?? '',
      );
    }

    notes.push(`cli doctor said: ${cliSample.join(' | ')}`);
    produced.push({ where: 'logs', text: lines.join('\n') });
    produced.push({ where: 'metrics', text: await registry.metrics() });
    produced.push({ where: 'lineage events', text: JSON.stringify(events) });
    produced.push({ where: 'run results and errors', text: inspect(outcomes, { depth: 12 }) });
    const tables = ['dead_letters', 'dead_letters_audit', 'pipeline_runs', 'pipeline_step_runs', 'pipewright_leases'];
    for (const t of tables) {
      const { rows } = await admin
        .query(`SELECT coalesce(json_agg(x)::text, '') AS t FROM ${s}.${quoteIdentifier(t)} x`)
        .catch(() => ({ rows: [{ t: '' }] }));
      produced.push({ where: `table ${t}`, text: String(rows[0]?.t ?? '') });
    }
    const { rows: stacks } = await admin
      .query(`SELECT string_agg(x::text, ' ') AS t FROM ${s}.dead_letters x`)
      .catch(() => ({ rows: [{ t: '' }] }));
    produced.push({ where: 'dead letters (raw)', text: String(stacks[0]?.t ?? '') });
    if (events.length === 0) problems.push('no lineage event was produced (nothing to scan)');
    if (lines.length === 0) problems.push('no log line was produced (nothing to scan)');
    let leaks = 0;
    for (const { where, text } of produced) {
      cases++;
      const at = text.indexOf(password);
      if (at >= 0) {
        leaks++;
        problems.push(
          `the password appears in ${where}: …${text.slice(Math.max(0, at - 80), at + 20).replaceAll(password, '<PASSWORD>')}…`,
        );
      } else refused++;
    }
    notes.push(
      `${produced.reduce((n, p) => n + p.text.length, 0)} characters scanned in ${produced.length} outputs; ${lines.length} log lines, ${events.length} lineage events`,
    );
    return {
      scenario: 'injection_secrets',
      iterations: cases,
      faults: HOSTILE_NAMES.length * attempts.length + 2,
      rowsChecked: SQL_VALUES.length * 2,
      lost: 0,
      duplicated: 0,
      ok: problems.length === 0,
      notes: [...problems, ...notes],
      seconds: (performance.now() - started) / 1000,
      extra: { cases, passed: refused, leaks },
    };
  } finally {
    if (hbaBackup !== undefined && options.server) {
      writeFileSync(join(options.server.dataDir, 'pg_hba.conf'), hbaBackup);
      await admin.query('SELECT pg_reload_conf()').catch(() => {});
    }
    await admin.exec(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => {});
    await admin.exec(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await pool.end();
  }
}

async function first(pages: AsyncGenerator<unknown>): Promise<void> {
  await pages.next();
  await pages.return(undefined);
}

function capture(lines: string[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (obj: object, msg?: string) => {
      lines.push(`${level} ${msg ?? ''} ${inspect({ ...bindings, ...obj }, { depth: 8 })}`);
    };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (b) => make({ ...bindings, ...b }),
    };
  };
  return make({});
}

function spyOn(inner: SqlClient, sent: string[]): SqlClient {
  return {
    kind: inner.kind,
    capabilities: inner.capabilities,
    inTransaction: inner.inTransaction,
    query: (text, params) => {
      sent.push(text);
      return inner.query(text, params);
    },
    exec: (script) => {
      sent.push(script);
      return inner.exec(script);
    },
    transaction: (fn, o) => inner.transaction((tx) => fn(spyOn(tx, sent)), o),
    stream: (text, params, o) => {
      sent.push(text);
      return inner.stream(text, params, o);
    },
    copyFrom: (text, src) => {
      sent.push(text);
      return inner.copyFrom(text, src);
    },
    copyTo: (text) => {
      sent.push(text);
      return inner.copyTo(text);
    },
  } as SqlClient;
}
