import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@pipewright/core';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import { LineageGraph, toDot, toMermaid } from '@pipewright/lineage';
import { buildReport } from '@pipewright/quality';
import { pgStateStore } from '@pipewright/watermark';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CapturedRun, type CaptureOptions, captureIo } from '../../../test/helpers/cli-io.ts';
import { PG_URL, REDIS_URL } from '../../../test/helpers/env.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { maskUrls } from './internal/io.ts';
import { main } from './main.ts';

const db = useTestDatabase();
let dir: string;

async function cli(argv: string[], options: CaptureOptions = {}): Promise<CapturedRun> {
  const { io, captured } = captureIo({ env: { PG_URL }, ...options });
  const code = await main(argv, io);
  return { code, ...captured };
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-cli-'));
});

describe('lineage graph', () => {
  const pg = (name: string) => ({ namespace: 'postgres://db:5432', name });
  const graph = (): LineageGraph =>
    new LineageGraph({ namespace: 'shop' })
      .addTransform({
        name: 'extract',
        inputs: [pg('src.orders')],
        outputs: [pg('stage.orders')],
        columns: [
          { output: pg('stage.orders'), field: 'total', from: [{ dataset: pg('src.orders'), field: 'amount' }] },
        ],
      })
      .addTransform({ name: 'load', inputs: [pg('stage.orders'), pg('src.customers')], outputs: [pg('dw.orders')] });

  it('draws the same graph the events came from, as Mermaid and DOT', async () => {
    const file = join(dir, 'lineage.ndjson');
    const events = graph().toRunEvents();
    await writeFile(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\nnot json\n`);
    const mermaid = await cli(['lineage', 'graph', '--file', file]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.out).toBe(toMermaid(graph()).replace(/\n?$/, '\n'));
    expect(mermaid.err).toBe(`${file}:5: not valid JSON; skipped\n`);
    const out = join(dir, 'lineage.dot');
    const dot = await cli(['lineage', 'graph', '--file', file, '--format', 'dot', '--out', out, '--no-columns']);
    expect(dot.code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(toDot(graph(), { columns: false }).replace(/\n?$/, '\n'));
    expect(dot.err).toContain('Wrote 2 job(s), 4 dataset(s)');
    const asJson = JSON.parse((await cli(['lineage', 'graph', '--file', file, '--json'])).out) as {
      jobs: { name: string; inputs: { name: string }[] }[];
      sources: { name: string }[];
    };
    expect(asJson.jobs.map((j) => [j.name, j.inputs.map((d) => d.name)])).toEqual([
      ['extract', ['src.orders']],
      ['load', ['stage.orders', 'src.customers']],
    ]);
    expect(asJson.sources.map((d) => d.name)).toEqual(['src.orders', 'src.customers']);
  });

  it('refuses a bad format and a missing file', async () => {
    expect((await cli(['lineage', 'graph', '--file', 'x', '--format', 'png'])).code).toBe(2);
    expect((await cli(['lineage', 'graph'])).code).toBe(2);
    const missing = await cli(['lineage', 'graph', '--file', join(dir, 'nope.ndjson')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('ENOENT');
  });
});

describe('quality report', () => {
  const pass = {
    name: 'not_null(id)',
    type: 'not_null',
    status: 'pass',
    severity: 'error',
    message: 'ok',
    sample: [],
    failures: 0,
  };
  const fail = { ...pass, name: 'unique(id)', status: 'fail', message: '2 duplicates', sample: [7, 9], failures: 2 };

  it('shows the latest report of a pipeline from an NDJSON file; exit 1 when a check failed', async () => {
    const at = (ms: number) => ({ now: () => ms });
    const older = {
      ...buildReport([pass, fail] as never, { model: 'orders', clock: at(1_000) }),
      pipeline: 'orders-sync',
    };
    const newer = { ...buildReport([pass] as never, { model: 'orders', clock: at(2_000) }), pipeline: 'orders-sync' };
    const other = {
      ...buildReport([pass, fail] as never, { model: 'users', clock: at(3_000) }),
      pipeline: 'users-sync',
    };
    const file = join(dir, 'quality.ndjson');
    await writeFile(file, [newer, older, other].map((r) => JSON.stringify(r)).join('\n'));
    const ok = await cli(['quality', 'report', 'orders-sync', '--file', file]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('Data quality report 1970-01-01T00:00:02.000Z');
    const failed = await cli(['quality', 'report', 'users-sync', '--file', file, '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.out)).toMatchObject({ summary: { failed: 1 }, pipeline: 'users-sync' });
    const none = await cli(['quality', 'report', 'nightly', '--file', file]);
    expect(none.code).toBe(1);
    expect(none.err).toBe(`No quality report for pipeline "nightly" in ${file}.\n`);
  });

  it('reads a single JSON report too', async () => {
    const file = join(dir, 'report.json');
    await writeFile(file, JSON.stringify(buildReport([fail] as never, { model: 'orders' })));
    const result = await cli(['quality', 'report', '--file', file]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('orders.unique(id)');
  });
});

describe('doctor', () => {
  it('checks a set-up schema and says what to fix', async () => {
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, maxRedrives: 1 });
    await dlq.setup();
    await pgStateStore(db.sql, { schema: db.schema }).migrate();
    const { id } = await dlq.send({ pipeline: 'p', record: {}, error: new Error('x') });
    const clean = await cli(['doctor', '--schema', db.schema, '--json']);
    const checks = JSON.parse(clean.out) as { check: string; status: string }[];
    expect(checks.find((c) => c.check === 'wal_level')?.status).toBe('ok'); // the shared server runs logical
    expect(checks.find((c) => c.check === 'migrations watermark')?.status).toBe('ok');
    expect(checks.find((c) => c.check === 'migrations run-audit')?.status).toBe('warn');
    expect(checks.find((c) => c.check === 'dead letters')?.status).toBe('ok');
    expect(clean.code).toBe(0);

    await dlq.redriveOne(id, () => {
      throw new Error('poison');
    });
    await pgStateStore(db.sql, { schema: db.schema }).acquire('orders', { owner: 'dead-host:1', ttlMs: 1000 });
    const parked = await cli(['doctor', '--schema', db.schema], { clock: new FakeClock(Date.now() + 3_600_000) });
    expect(parked.out).toMatch(/leases\s+warn\s+1 expired but never released: orders \(dead-host:1, 59m \d+s ago\)/);
    expect(parked.code).toBe(1);
    expect(parked.out).toMatch(/dead letters\s+FAIL\s+1 parked/);
    expect(parked.out).toContain('To fix:');
    expect(parked.out).toContain('pipewright dlq list --state parked');
  });

  it('checks Redis too', async () => {
    const result = await cli(['doctor', '--schema', db.schema, '--redis-url', REDIS_URL, '--json']);
    const checks = JSON.parse(result.out) as { check: string; status: string }[];
    expect(checks.find((c) => c.check === 'redis')?.status).toBe('ok');
    expect(checks.some((c) => c.check === 'redis persistence')).toBe(true);
  });
});

describe('connections and credentials', () => {
  it('an unreachable server is one clear line and exit 3, with the password masked', async () => {
    const port = await closedPort();
    const url = `postgres://etl:Sup3rSecret@127.0.0.1:${port}/etl`;
    for (const argv of [['dlq', 'list'], ['state', 'show'], ['runs', 'list'], ['doctor']]) {
      const result = await cli(['--pg-url', url, ...argv]);
      expect(result.code).toBe(3);
      expect(result.out + result.err).not.toContain('Sup3rSecret');
      const text = result.out + result.err; // doctor reports it in its table
      expect(text).toContain(
        `Cannot connect to PostgreSQL at postgres://etl:***@127.0.0.1:${port}/etl: connection refused`,
      );
      expect(text).not.toContain('    at ');
    }
    const redis = await cli([
      'dlq',
      'list',
      '--backend',
      'redis',
      '--redis-url',
      `redis://:R3disSecret@127.0.0.1:${port}`,
    ]);
    expect(redis.code).toBe(3);
    expect(redis.err).toContain(`Cannot connect to Redis at redis://:***@127.0.0.1:${port}`);
    expect(redis.out + redis.err).not.toContain('R3disSecret');
  });

  it('never prints a password, even where a server accepts it (trust auth) or an error echoes it', async () => {
    const withPassword = PG_URL.replace('://postgres@', '://postgres:Hunter2pw@');
    const result = await cli(['--pg-url', withPassword, 'doctor', '--schema', db.schema]);
    expect(result.out + result.err).not.toContain('Hunter2pw');
    const bad = await cli(['--pg-url', 'mysql://root:Hunter2pw@db/x', 'dlq', 'list']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('mysql://root:***@db/x');
    expect(bad.out + bad.err).not.toContain('Hunter2pw');
    expect(maskUrls('see postgres://a:b@c/d and redis://:p@h')).toBe('see postgres://a:***@c/d and redis://:***@h');
  });

  it('asks for a URL when none is given', async () => {
    const result = await cli(['dlq', 'list'], { env: {} });
    expect(result.code).toBe(2);
    expect(result.err).toBe('pipewright: No PostgreSQL URL: pass --pg-url or set PG_URL\n');
  });
});

describe('usage', () => {
  it('prints help with examples for every command, exit 0', async () => {
    const commands = [
      [],
      ['dlq'],
      ['state'],
      ['runs'],
      ['lineage'],
      ['quality'],
      ['dlq', 'list'],
      ['dlq', 'show'],
      ['dlq', 'stats'],
      ['dlq', 'redrive'],
      ['dlq', 'discard'],
      ['dlq', 'purge'],
      ['state', 'show'],
      ['state', 'rewind'],
      ['state', 'leases'],
      ['runs', 'list'],
      ['runs', 'show'],
      ['runs', 'last-success'],
      ['lineage', 'graph'],
      ['quality', 'report'],
      ['doctor'],
    ];
    for (const argv of commands) {
      const result = await cli([...argv, '--help']);
      expect({ argv, code: result.code }).toEqual({ argv, code: 0 });
      if (argv.length > 0) expect(result.out).toContain('Examples:\n  $ pipewright');
      else expect(result.out).toContain('Exit codes:');
    }
    expect((await cli(['--help'])).out).toContain('3  cannot connect');
    expect((await cli(['--version'])).out).toBe('0.0.0\n');
  });

  it('unknown commands and options are usage errors (exit 2)', async () => {
    expect((await cli(['nope'])).code).toBe(2);
    expect((await cli(['dlq'])).code).toBe(2);
    const unknown = await cli(['dlq', 'list', '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown option '--colour'");
    expect((await cli(['dlq', 'list', '--limit', '0'])).code).toBe(2);
    expect((await cli(['dlq', 'list', '--backend', 'kafka'])).code).toBe(2);
  });
});
