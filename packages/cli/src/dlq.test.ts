import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@pipewright/core';
import { createPostgresDeadLetterQueue, createRedisDeadLetterQueue, type DeadLetterQueue } from '@pipewright/dlq';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CapturedRun, type CaptureOptions, captureIo } from '../../../test/helpers/cli-io.ts';
import { driveClock } from '../../../test/helpers/drive-clock.ts';
import { PG_URL, REDIS_URL } from '../../../test/helpers/env.ts';
import { useTestRedis } from '../../../test/helpers/redis.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { main } from './main.ts';

const db = useTestDatabase();
const redis = useTestRedis();
let table = 'dl';
let dlq: DeadLetterQueue;
let n = 0;

async function cli(argv: string[], options: CaptureOptions = {}): Promise<CapturedRun> {
  const { io, captured } = captureIo({ env: { PG_URL, REDIS_URL }, ...options });
  const code = await main(['--schema', db.schema, ...argv], io);
  return { code, ...captured };
}
const dl = (args: string[]): string[] => ['dlq', ...args, '--table', table];

async function seed(): Promise<string[]> {
  const failedAt = new Date(Date.now() - 3 * 86_400_000);
  const results = await dlq.sendMany([
    {
      pipeline: 'orders',
      step: 'load',
      record: { id: 1n, email: 'a@b.c' },
      error: Object.assign(new Error('duplicate key'), { code: '23505' }),
      failedAt,
    },
    {
      pipeline: 'orders',
      step: 'load',
      record: { id: 2n },
      error: Object.assign(new Error('duplicate key'), { code: '23505' }),
    },
    { pipeline: 'orders', step: 'parse', record: { id: 3n }, error: new Error('bad date') },
    { pipeline: 'users', step: 'load', record: { id: 4n }, error: new Error('timeout') },
  ]);
  return results.map((r) => r.id);
}

beforeEach(async () => {
  table = `dl${++n}`;
  dlq = createPostgresDeadLetterQueue({
    sql: db.sql,
    schema: db.schema,
    table,
    redact: { paths: ['email'], key: 'k' },
  });
  await dlq.setup();
});

describe('dlq list / show / stats', () => {
  it('lists with filters, as an aligned table and as JSON', async () => {
    const ids = await seed();
    const human = await cli(dl(['list', '--pipeline', 'orders', '--error-code', '23505']));
    expect(human.code).toBe(0);
    const lines = human.out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ID\s+STATE\s+PIPELINE\s+STEP\s+CODE/);
    expect(lines[1]?.indexOf('pending')).toBe(lines[0]?.indexOf('STATE'));
    expect(human.out).not.toContain('\u001b['); // no colour without a TTY

    const asJson = await cli(dl(['list', '--older-than', '1d', '--json']));
    const parsed = JSON.parse(asJson.out) as { id: string; record: { id: string } }[];
    expect(parsed.map((e) => e.id)).toEqual([ids[0]]);
    expect(parsed[0]?.record.id).toBe('1');

    const none = await cli(dl(['list', '--state', 'parked']));
    expect(none.out).toContain('No dead letters match.');
  });

  it('pages and says how to get the next page', async () => {
    const ids = await seed();
    const page = await cli(dl(['list', '--limit', '2']));
    expect(page.err).toContain(`2 of 4 shown; next page: --after ${ids[1]}`);
    const next = await cli(dl(['list', '--after', String(ids[1]), '--json']));
    expect((JSON.parse(next.out) as { id: string }[]).map((e) => e.id)).toEqual(ids.slice(2));
  });

  it('colours only on a TTY, and NO_COLOR wins', async () => {
    await seed();
    const tty = await cli(dl(['list']), { stdoutTTY: true, env: { PG_URL } });
    expect(tty.out).toContain('\u001b[33mpending');
    const noColour = await cli(dl(['list']), { stdoutTTY: true, env: { PG_URL, NO_COLOR: '1' } });
    expect(noColour.out).not.toContain('\u001b[');
  });

  it('shows one entry with its redacted record and history', async () => {
    const [id] = await seed();
    const shown = await cli(dl(['show', String(id)]));
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('duplicate key');
    expect(shown.out).toContain('history');
    expect(shown.out).not.toContain('a@b.c'); // redacted stays redacted
    const asJson = JSON.parse((await cli(dl(['show', String(id), '--json']))).out) as {
      record: { email: string };
      history: { to: string }[];
    };
    expect(asJson.record.email).not.toBe('a@b.c');
    expect(asJson.record.email.length).toBeGreaterThan(10);
    expect(asJson.history[0]?.to).toBe('pending');
    const missing = await cli(dl(['show', '999999']));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('No dead letter with id 999999');
  });

  it('groups stats by the chosen dimensions', async () => {
    await seed();
    const stats = await cli(dl(['stats', '--by', 'pipeline', '--json']));
    expect(
      (JSON.parse(stats.out) as { pipeline: string; entries: number }[]).map((r) => [r.pipeline, r.entries]),
    ).toEqual([
      ['orders', 3],
      ['users', 1],
    ]);
    const human = await cli(dl(['stats', '--by', 'pipeline,errorCode']));
    expect(human.out.split('\n')[0]).toMatch(/^PIPELINE\s+CODE\s+ENTRIES\s+FAILURES\s+OLDEST$/);
    const bad = await cli(dl(['stats', '--by', 'colour']));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Expected --by');
  });

  it('says the migration is missing instead of failing with a stack trace', async () => {
    const result = await cli(['dlq', 'list', '--table', 'never_set_up']);
    expect(result.code).toBe(3);
    expect(result.err).toBe(
      `pipewright: No "dlq:never_set_up" migration in schema "${db.schema}": call setup() on the dead-letter queue in your application (or pass the right --schema)\n`,
    );
  });
});

describe('dlq redrive / discard / purge', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-cli-'));
    await writeFile(
      join(dir, 'handler.mjs'),
      `globalThis.redriven ??= [];
       export default (entry) => { globalThis.redriven.push(entry.id); if (entry.record.id === 3n) throw new Error('still bad'); };
       export const close = () => { globalThis.closed = true; };`,
    );
  });
  const seen = (): string[] => (globalThis as { redriven?: string[] }).redriven ?? [];
  beforeEach(() => {
    (globalThis as { redriven?: string[] }).redriven = [];
  });

  it('refuses a change without a TTY and without --yes (exit 2), changing nothing', async () => {
    const ids = await seed();
    const result = await cli(dl(['discard', String(ids[0]), '--reason', 'test']));
    expect(result.code).toBe(2);
    expect(result.err).toContain('refused without --yes');
    expect((await dlq.get(String(ids[0])))?.state).toBe('pending');
  });

  it('asks on a TTY: "n" changes nothing (exit 1), "y" discards with the reason audited', async () => {
    const ids = await seed();
    const no = await cli(dl(['discard', String(ids[0]), '--reason', 'junk']), { stdinTTY: true, input: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.err).toContain('Discard 1 dead letter(s)? [y/N]');
    expect((await dlq.get(String(ids[0])))?.state).toBe('pending');
    const yes = await cli(dl(['discard', String(ids[0]), '--reason', 'junk']), { stdinTTY: true, input: 'y\n' });
    expect(yes.code).toBe(0);
    expect((await dlq.get(String(ids[0])))?.state).toBe('discarded');
    expect((await dlq.history(String(ids[0]))).at(-1)).toMatchObject({ to: 'discarded', why: 'junk' });
  });

  it('dry-runs a redrive without changing anything', async () => {
    await seed();
    const dry = await cli(
      dl(['redrive', '--pipeline', 'orders', '--handler', join(dir, 'handler.mjs'), '--dry-run', '--json']),
    );
    expect(dry.code).toBe(0);
    const parsed = JSON.parse(dry.out) as { matched: number; dryRun: boolean };
    expect(parsed).toMatchObject({ matched: 3, dryRun: true });
    expect(seen()).toEqual([]);
    expect(await dlq.count({ state: 'pending' })).toBe(4);
  });

  it('redrives by filter through a handler module: resolved, failed back to pending, exit 1', async () => {
    const ids = await seed();
    const result = await cli(
      dl(['redrive', '--pipeline', 'orders', '--handler', join(dir, 'handler.mjs'), '--yes', '--json']),
    );
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({ mode: 'handler', processed: 3, resolved: 2, failed: 1 });
    expect(seen().sort()).toEqual(ids.slice(0, 3).sort());
    expect(await dlq.get(String(ids[2]))).toMatchObject({ state: 'pending', redriveCount: 1 });
    expect((await dlq.get(String(ids[3])))?.state).toBe('pending'); // other pipeline untouched
    expect((globalThis as { closed?: boolean }).closed).toBe(true);
  });

  it('rate-limits a redrive on the clock and reports progress', async () => {
    await seed();
    const clock = new FakeClock(Date.now());
    const start = clock.now();
    const running = cli(dl(['redrive', '--all', '--handler', join(dir, 'handler.mjs'), '--rate', '2', '--yes']), {
      clock,
    });
    const result = await driveClock(clock, running, 100);
    expect(seen()).toHaveLength(4);
    // 4 entries at 2/s: three gaps of 500 ms, no more
    expect(clock.now() - start).toBe(1500);
    expect(result.err).toContain('redrive: 4/4 (100%)');
    expect(result.out).toMatch(/resolved\s+3/);
  });

  it('without a handler, requeues parked entries by id', async () => {
    const clock = new FakeClock(Date.now());
    const parkingQueue = createPostgresDeadLetterQueue({
      sql: db.sql,
      schema: db.schema,
      table,
      maxRedrives: 1,
      clock,
    });
    const ids = await seed();
    await parkingQueue.redriveOne(String(ids[1]), () => {
      throw new Error('again');
    });
    expect((await dlq.get(String(ids[1])))?.state).toBe('parked');
    const result = await cli(dl(['redrive', String(ids[1]), String(ids[0]), '--reason', 'fixed in 1.4', '--yes']));
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/requeued\s+1/);
    expect(result.out).toMatch(/skipped\s+1/);
    expect((await dlq.get(String(ids[1])))?.state).toBe('pending');
    const missing = await cli(dl(['redrive', '424242', '--yes']));
    expect(missing.code).toBe(1);
  });

  it('refuses bulk changes without a filter, and bad arguments, with exit 2', async () => {
    await seed();
    for (const argv of [
      dl(['redrive', '--handler', join(dir, 'handler.mjs'), '--yes']),
      dl(['redrive', '--rate', 'fast', '--all']),
      dl(['redrive', '--all', '--state', 'pending']),
      dl(['discard', '1']),
      dl(['list', '--state', 'lost']),
      dl(['list', '--older-than', 'yesterday']),
      dl(['purge']),
      dl(['redrive', '--all', '--handler', join(dir, 'missing.mjs'), '--yes']),
    ]) {
      const result = await cli(argv);
      expect({ argv, code: result.code }).toEqual({ argv, code: 2 });
      expect(result.err).not.toContain('    at '); // no stack trace
    }
    expect(await dlq.count({ state: 'pending' })).toBe(4);
  });

  it('purges old resolved and discarded entries only', async () => {
    const ids = await seed();
    await dlq.discard(String(ids[0]));
    const clock = new FakeClock(Date.now() + 40 * 86_400_000);
    const result = await cli(dl(['purge', '--older-than', '30d', '--yes', '--json']), { clock });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ deleted: 1 });
    expect(await dlq.count()).toBe(3);
  });
});

describe('dlq on Redis', () => {
  it('lists, shows and discards entries of a Redis queue', async () => {
    const queue = createRedisDeadLetterQueue({ redis: redis.redis, prefix: redis.prefix, name: 'q' });
    await queue.setup();
    const { id } = await queue.send({ pipeline: 'events', step: 'load', record: { n: 1 }, error: new Error('boom') });
    const base = ['dlq', '--backend', 'redis', '--redis-prefix', redis.prefix, '--queue', 'q'];
    const listed = await cli([...base.slice(0, 1), 'list', ...base.slice(1), '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.out) as { id: string }[]).map((e) => e.id)).toEqual([id]);
    const discarded = await cli(['dlq', 'discard', id, '--reason', 'noise', '--yes', ...base.slice(1)]);
    expect(discarded.code).toBe(0);
    expect((await queue.get(id))?.state).toBe('discarded');
  });
});

describe('interrupting a redrive', () => {
  it('stops before the next entry when the signal aborts, and says how to continue (exit 130)', async () => {
    table = `dl${++n}`;
    dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table });
    await dlq.setup();
    await seed();
    const clock = new FakeClock(Date.now());
    const interrupt = new AbortController();
    const { io, captured } = captureIo({ env: { PG_URL }, clock });
    const handler = join(await mkdtemp(join(tmpdir(), 'pw-cli-')), 'ok.mjs');
    await writeFile(handler, 'export default () => {};');
    const argv = ['--schema', db.schema, ...dl(['redrive', '--all', '--handler', handler, '--rate', '1', '--yes'])];
    const running = main(argv, { ...io, signal: interrupt.signal });
    // the first entry goes at once; Ctrl-C while the rate limit holds back the second
    for (let i = 0; clock.pendingTimers === 0 && i < 2000; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    interrupt.abort();
    const code = await running;
    expect(code).toBe(130);
    expect(captured.err).toContain('Interrupted: 1 of 4 handled; run the same command again to continue.');
    expect(await dlq.count({ state: 'resolved' })).toBe(1);
    expect(await dlq.count({ state: 'pending' })).toBe(3);
  });
});
