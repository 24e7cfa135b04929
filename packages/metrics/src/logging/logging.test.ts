import { Writable } from 'node:stream';
import { FakeClock } from '@pipewright/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createPipelineMetrics } from '../metrics.ts';
import { createJsonLogger } from './json-logger.ts';
import { fromPino } from './pino.ts';
import { isSecretKey, REDACTED, redact, redactString } from './redact.ts';

const SECRETS = ['hunter2', 's3cr3t-token', 'AKIAXXXX', 'pgpass', 'sk_live_123', 'cookie-value', 'bearer-abc.def'];

function assertNoSecrets(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('redact', () => {
  it('removes secret-looking fields at any depth, and credentials inside strings', () => {
    const input = {
      user: 'etl',
      password: 'hunter2',
      nested: { apiKey: 'AKIAXXXX', refresh_token: 's3cr3t-token', list: [{ 'x-api-key': 'sk_live_123' }] },
      PG_CONNECTION_STRING: 'postgres://etl:pgpass@db:5432/app',
      url: 'postgres://etl:pgpass@db:5432/app?sslmode=require',
      libpq: 'host=db user=etl password=pgpass dbname=app',
      headers: { Cookie: 'cookie-value', authorization: 'Bearer bearer-abc.def' },
      note: 'sent Authorization: Bearer bearer-abc.def',
      count: 3,
      author: 'kept',
    };
    const output = redact(input) as Record<string, any>;
    assertNoSecrets(JSON.stringify(output));
    expect(output.password).toBe(REDACTED);
    expect(output.nested.list[0]['x-api-key']).toBe(REDACTED);
    expect(output.url).toBe(`postgres://etl:${REDACTED}@db:5432/app?sslmode=require`);
    expect(output.libpq).toBe(`host=db user=etl password=${REDACTED} dbname=app`);
    expect(output.note).toBe(`sent Authorization: Bearer ${REDACTED}`);
    expect(output.count).toBe(3);
    expect(output.author).toBe('kept');
    expect(input.password).toBe('hunter2'); // the input is untouched
  });

  it('serialises errors (message, stack, own fields, cause) with credentials removed, and survives cycles', () => {
    const error = Object.assign(
      new Error('connect to postgres://etl:pgpass@db/app failed', { cause: new Error('token=s3cr3t-token') }),
      { code: 'ECONNREFUSED', password: 'hunter2' },
    );
    const cyclic: Record<string, unknown> = { error, big: 12n, at: new Date(0) };
    cyclic.self = cyclic;
    const output = redact(cyclic) as Record<string, any>;
    assertNoSecrets(JSON.stringify(output));
    expect(output.error).toMatchObject({ type: 'Error', code: 'ECONNREFUSED', password: REDACTED });
    expect(output.error.message).toBe(`connect to postgres://etl:${REDACTED}@db/app failed`);
    expect(output.error.cause.message).toBe(`token=${REDACTED}`);
    expect(output.self).toBe('[Circular]');
    expect(output.big).toBe('12');
    expect(output.at).toBe('1970-01-01T00:00:00.000Z');
  });

  it('recognises secret key names', () => {
    for (const key of ['password', 'dbPassword', 'PGPASSWORD', 'client_secret', 'accessToken', 'dsn', 'DATABASE_URL']) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ['pipeline', 'step', 'runId', 'records', 'author', 'passengers_count']) {
      expect(isSecretKey(key), key).toBe(false);
    }
    expect(redactString('no secrets here')).toBe('no secrets here');
  });
});

describe('createJsonLogger', () => {
  it('writes pino-shaped JSON lines with run, pipeline and step context, and redacts', async () => {
    const lines: string[] = [];
    const clock = new FakeClock(1_700_000_000_000);
    const logger = createJsonLogger({
      write: (line) => lines.push(line),
      level: 'debug',
      clock,
      bindings: { service: 'etl' },
    });
    const metrics = createPipelineMetrics({ pipeline: 'orders', logger, clock });
    await metrics.run(
      async (run) => {
        await run.time('load', (step) => step.logger.info({ rows: 5, password: 'hunter2' }, 'loaded'));
      },
      { runId: 'run-7' },
    );
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const loaded = parsed.find((line) => line.msg === 'loaded');
    expect(loaded).toEqual({
      level: 30,
      time: 1_700_000_000_000,
      service: 'etl',
      pipeline: 'orders',
      runId: 'run-7',
      step: 'load',
      rows: 5,
      password: REDACTED,
      msg: 'loaded',
    });
    expect(parsed.map((line) => line.msg)).toEqual(['run started', 'loaded', 'step finished', 'run succeeded']);
    expect(parsed.find((line) => line.msg === 'step finished')).toMatchObject({
      level: 20,
      step: 'load',
      runId: 'run-7',
    });
  });

  it('logs a failed step at error level with the redacted error, and filters by level', async () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (line) => lines.push(line) });
    const metrics = createPipelineMetrics({ pipeline: 'orders', logger });
    await metrics
      .time('extract', () => {
        throw new Error('auth failed for postgres://etl:pgpass@db/app');
      })
      .catch(() => {});
    expect(lines).toHaveLength(1); // the debug "step finished" lines are below the default level
    assertNoSecrets(lines[0] as string);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 50,
      pipeline: 'orders',
      step: 'extract',
      kind: 'fatal',
      err: { type: 'Error' },
      msg: 'step failed',
    });
  });

  it('validates its options and never throws from a failing sink', () => {
    expect(() => createJsonLogger({ level: 'verbose' as never })).toThrow(/Expected `level`/);
    expect(() => createJsonLogger({ write: 'stdout' as never })).toThrow(/Expected `write`/);
    const logger = createJsonLogger({
      write: () => {
        throw new Error('disk full');
      },
    });
    expect(() => logger.error({}, 'x')).not.toThrow();
  });
});

describe('fromPino', () => {
  it('adapts a real pino logger: context bindings, redacted fields and errors', async () => {
    let output = '';
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        output += chunk.toString();
        callback();
      },
    });
    const logger = fromPino(pino({ level: 'debug' }, sink));
    const metrics = createPipelineMetrics({ pipeline: 'orders', logger });
    await metrics
      .run(
        async (run) => {
          run.logger.child({ token: 's3cr3t-token' }).warn({ dsn: 'postgres://etl:pgpass@db/app' }, 'careful');
          await run.time('load', () => {
            throw Object.assign(new Error('denied: password=hunter2'), { code: '28P01' });
          });
        },
        { runId: 'r1' },
      )
      .catch(() => {});
    assertNoSecrets(output);
    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, any>);
    const careful = lines.find((line) => line.msg === 'careful');
    expect(careful).toMatchObject({ level: 40, pipeline: 'orders', runId: 'r1', token: REDACTED, dsn: REDACTED });
    const failed = lines.find((line) => line.msg === 'step failed');
    expect(failed).toMatchObject({
      level: 50,
      step: 'load',
      err: { code: '28P01', message: `denied: password=${REDACTED}` },
    });
    expect(lines.at(-1)).toMatchObject({ msg: 'run failed', level: 50 });
  });

  it('refuses something that is not a pino logger', () => {
    expect(() => fromPino({ info() {} } as never)).toThrow(/missing debug/);
  });
});
