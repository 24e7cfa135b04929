import { FakeClock, InvalidIdentifierError } from '@pipewright/core';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { UnsupportedCheckError } from '../errors.ts';
import {
  acceptedValues,
  type Check,
  custom,
  customSql,
  freshness,
  notNull,
  outliers,
  pattern,
  positive,
  range,
  relationships,
  rowCount,
  unique,
  volumeAnomaly,
} from './define.ts';
import { runChecks } from './memory.ts';
import type { CheckResult } from './result.ts';
import { runSqlChecks } from './sql.ts';

const db = useTestDatabase();
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Item {
  id: number;
  email?: string | null;
  status?: string | null;
  amount?: number | null;
  customer_id?: number | null;
  region?: string | null;
  created_at?: Date | null;
}

beforeAll(async () => {
  await db.sql.exec(`
    CREATE TABLE ${db.qschema}.items (
      id int, email text, status text, amount float8, customer_id int, region text, created_at timestamptz);
    CREATE TABLE ${db.qschema}.customers (id int PRIMARY KEY);
    INSERT INTO ${db.qschema}.customers VALUES (1), (2), (3);`);
});

async function load(rows: readonly Item[]): Promise<void> {
  await db.sql.query(`TRUNCATE ${db.qschema}.items`);
  await db.sql.query(
    `INSERT INTO ${db.qschema}.items SELECT * FROM jsonb_populate_recordset(null::${db.qschema}.items, $1::jsonb)`,
    [JSON.stringify(rows)],
  );
}

const table = (): { schema: string; name: string } => ({ schema: db.schema, name: 'items' });

function comparable(result: CheckResult): unknown {
  const { sample, ...rest } = result;
  return { ...rest, sample: sample.map((s) => JSON.stringify(s)).sort() };
}

/** Runs the check in memory and in SQL on the same rows; asserts identical results and returns one. */
async function both(rows: readonly Item[], check: Check, key = 'id'): Promise<CheckResult> {
  await load(rows);
  const options = { clock: new FakeClock(NOW), key, sampleSize: 10 };
  const [memory] = runChecks(rows as unknown as Record<string, unknown>[], [check], options);
  const [inSql] = await runSqlChecks(db.sql, table(), [check], options);
  expect(comparable(inSql!)).toEqual(comparable(memory!));
  return memory!;
}

const items = (n: number, fill: (i: number) => Partial<Item> = () => ({})): Item[] =>
  Array.from({ length: n }, (_v, i) => ({
    id: i + 1,
    email: `u${i + 1}@example.com`,
    status: 'new',
    amount: 10,
    customer_id: 1 + (i % 3),
    region: 'eu',
    created_at: new Date(NOW - HOUR),
    ...fill(i),
  }));

describe.each([['error'], ['warn']] as const)('severity %s', (severity) => {
  it('a failing row check reports the severity as its status', async () => {
    const result = await both(
      items(4, (i) => ({ email: i === 0 ? null : 'a@b' })),
      notNull('email', { severity }),
    );
    expect(result.status).toBe(severity === 'error' ? 'fail' : 'warn');
  });
});

describe('not_null', () => {
  it('passes when no value is null', async () => {
    const result = await both(items(10), notNull('email'));
    expect(result).toMatchObject({ status: 'pass', failing: 0, total: 10, share: 0, sample: [] });
  });

  it('fails with count, share and a sample of the failing keys', async () => {
    const result = await both(
      items(10, (i) => ({ email: i === 2 || i === 7 ? null : 'x@y' })),
      notNull('email'),
    );
    expect(result).toMatchObject({ status: 'fail', failing: 2, total: 10, share: 0.2 });
    expect(result.sample).toEqual([
      { key: { id: 3 }, value: null },
      { key: { id: 8 }, value: null },
    ]);
    expect(result.message).toBe('2 of 10 rows failed (20%)');
  });

  it('mostly: passes at exactly the allowed share and fails just past it', async () => {
    const rows = items(100, (i) => ({ email: i < 5 ? null : 'x@y' }));
    expect((await both(rows, notNull('email', { mostly: 0.95 }))).status).toBe('pass');
    expect((await both(rows, notNull('email', { mostly: 0.951 }))).status).toBe('fail');
    const six = items(100, (i) => ({ email: i < 6 ? null : 'x@y' }));
    expect((await both(six, notNull('email', { mostly: 0.95 }))).status).toBe('fail');
  });

  it('passes on an empty table', async () => {
    expect(await both([], notNull('email'))).toMatchObject({ status: 'pass', total: 0, share: 0 });
  });
});

describe('unique', () => {
  it('passes on distinct keys and ignores nulls', async () => {
    const result = await both(
      items(5, (i) => ({ region: i < 2 ? null : `r${i}` })),
      unique('region'),
    );
    expect(result).toMatchObject({ status: 'pass', failing: 0 });
  });

  it('counts every row of a duplicated key and samples the keys with their counts', async () => {
    const regions = ['a', 'a', 'b', 'c', 'c', 'c'];
    const result = await both(
      items(6, (i) => ({ region: regions[i] })),
      unique('region'),
    );
    expect(result).toMatchObject({ status: 'fail', failing: 5, share: 5 / 6 });
    expect(result.sample).toEqual(
      expect.arrayContaining([
        { value: 'a', count: 2 },
        { value: 'c', count: 3 },
      ]),
    );
  });

  it('composite keys duplicate only when every part is equal', async () => {
    const pairs: [number, string][] = [
      [1, 'eu'],
      [1, 'us'],
      [2, 'eu'],
      [1, 'eu'],
    ];
    const rows = items(4, (i) => ({ customer_id: pairs[i]![0], region: pairs[i]![1] }));
    const result = await both(rows, unique(['customer_id', 'region']));
    expect(result).toMatchObject({ status: 'fail', failing: 2 });
    expect(result.sample).toEqual([{ value: { customer_id: 1, region: 'eu' }, count: 2 }]);
    expect((await both(rows, unique(['id', 'region']))).status).toBe('pass');
  });
});

describe('accepted_values', () => {
  it('passes accepted values and nulls, fails others', async () => {
    const statuses = ['new', 'paid', null, 'shipped', 'NEW'];
    const check = acceptedValues('status', ['new', 'paid']);
    const result = await both(
      items(5, (i) => ({ status: statuses[i] })),
      check,
    );
    expect(result).toMatchObject({ status: 'fail', failing: 2 });
    expect(result.sample).toEqual([
      { key: { id: 4 }, value: 'shipped' },
      { key: { id: 5 }, value: 'NEW' },
    ]);
    expect((await both(items(3), check)).status).toBe('pass');
  });
});

describe('range and positive', () => {
  const amounts = [0, 100, -0.01, 100.01, null, 50];
  const rows = items(6, (i) => ({ amount: amounts[i] }));

  it('is inclusive at both bounds by default', async () => {
    const result = await both(rows, range('amount', { min: 0, max: 100 }));
    expect(result).toMatchObject({ failing: 2 });
    expect(result.sample.map((s) => (s as { value: number }).value)).toEqual([-0.01, 100.01]);
  });

  it('honours exclusive bounds', async () => {
    const result = await both(rows, range('amount', { min: 0, max: 100, minExclusive: true, maxExclusive: true }));
    expect(result.failing).toBe(4);
  });

  it('positive fails zero and negatives', async () => {
    const result = await both(rows, positive('amount'));
    expect(result).toMatchObject({ name: 'positive(amount)', failing: 2 });
  });

  it('works with a Date bound on a timestamp column', async () => {
    const dated = items(3, (i) => ({ created_at: new Date(NOW - i * DAY) }));
    const result = await both(dated, range('created_at', { min: new Date(NOW - DAY) }));
    expect(result.failing).toBe(1);
  });
});

describe('pattern', () => {
  it('fails non-matching values, nulls pass', async () => {
    const emails = ['a@b.c', 'nope', null, 'x@y@z'];
    const result = await both(
      items(4, (i) => ({ email: emails[i] })),
      pattern('email', /^[^@]+@[^@]+$/),
    );
    expect(result).toMatchObject({ failing: 2 });
  });

  it('supports the i flag', async () => {
    const regions = ['EU', 'eu', 'e1'];
    const rows = items(3, (i) => ({ region: regions[i] }));
    expect((await both(rows, pattern('region', /^[a-z]+$/i))).failing).toBe(1);
    expect((await both(rows, pattern('region', '^[a-z]+$'))).failing).toBe(2);
  });
});

describe('relationships', () => {
  const rows = items(5, (i) => ({ customer_id: [1, 2, 3, 4, null][i] }));

  it('to a set of values: same result in memory and SQL', async () => {
    const result = await both(rows, relationships('customer_id', { values: [1, 2, 3] }));
    expect(result).toMatchObject({ failing: 1, sample: [{ key: { id: 4 }, value: 4 }] });
  });

  it('to a table (SQL only) agrees with the value-set check', async () => {
    await load(rows);
    const [result] = await runSqlChecks(db.sql, table(), [
      relationships('customer_id', { table: { schema: db.schema, name: 'customers' }, column: 'id' }),
    ]);
    expect(result).toMatchObject({ status: 'fail', failing: 1 });
    expect(() =>
      runChecks(rows as never, [relationships('customer_id', { table: 'customers', column: 'id' })]),
    ).toThrow(UnsupportedCheckError);
  });
});

describe('outliers', () => {
  it('z-score: flags values beyond the threshold (mean 19, sd 27, the 100 is at z = 3)', async () => {
    const values = [10, 10, 10, 10, 10, 10, 10, 10, 10, 100];
    const rows = items(10, (i) => ({ amount: values[i] }));
    expect(await both(rows, outliers('amount', { threshold: 2.9 }))).toMatchObject({ failing: 1 });
    expect(await both(rows, outliers('amount', { threshold: 3.1 }))).toMatchObject({ failing: 0 });
  });

  it('IQR: Q1 3, Q3 7, k 1.5 → bounds -3 and 13', async () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 100, null];
    const rows = items(10, (i) => ({ amount: values[i] }));
    const result = await both(rows, outliers('amount', { method: 'iqr' }));
    expect(result).toMatchObject({ failing: 1, sample: [{ key: { id: 9 }, value: 100 }] });
  });

  it('passes when there is no spread or no value', async () => {
    expect(await both(items(5), outliers('amount'))).toMatchObject({ failing: 0 });
    expect(
      await both(
        items(3, () => ({ amount: null })),
        outliers('amount'),
      ),
    ).toMatchObject({ failing: 0 });
  });
});

describe('row_count', () => {
  const check = rowCount({ min: 5, max: 10 });
  it.each([
    [4, 'fail'],
    [5, 'pass'],
    [10, 'pass'],
    [11, 'fail'],
  ])('%i rows → %s', async (n, status) => {
    const result = await both(items(n), check);
    expect(result).toMatchObject({ status, observed: n });
  });
});

describe('freshness', () => {
  const check = freshness('created_at', { warnAfterMs: HOUR, errorAfterMs: 2 * HOUR });
  it.each([
    [HOUR - 1, 'pass'],
    [HOUR, 'pass'],
    [HOUR + 1000, 'warn'],
    [2 * HOUR, 'warn'],
    [2 * HOUR + 1000, 'fail'],
  ])('newest row %i ms old → %s', async (age, status) => {
    const rows = items(3, (i) => ({ created_at: new Date(NOW - age - i * DAY) }));
    const result = await both(rows, check);
    expect(result).toMatchObject({ status, observed: age });
  });

  it('fails on an empty table', async () => {
    expect(await both([], check)).toMatchObject({ status: 'fail', message: 'no created_at value at all' });
  });
});

describe('volume_anomaly', () => {
  const history = (perDay: number, today: number): Item[] => {
    const rows: Item[] = [];
    let id = 1;
    const start = Math.floor(NOW / DAY) * DAY;
    for (let day = 1; day <= 3; day++) {
      for (let i = 0; i < perDay; i++) rows.push({ id: id++, created_at: new Date(start - day * DAY + i * 1000) });
    }
    for (let i = 0; i < perDay; i++) rows.push({ id: id++, created_at: new Date(start - 5 * DAY) }); // outside window
    for (let i = 0; i < today; i++) rows.push({ id: id++, created_at: new Date(start + i * 1000) });
    return rows;
  };
  const check = volumeAnomaly('created_at', { days: 3, maxDrop: 0.5, maxSpike: 1 });

  it.each([
    [4, 'fail'],
    [5, 'pass'],
    [20, 'pass'],
    [21, 'fail'],
  ])('average 10, today %i → %s', async (today, status) => {
    const result = await both(history(10, today), check);
    expect(result).toMatchObject({ status, observed: today });
  });

  it('dayOffset 1 judges yesterday against the days before it', async () => {
    // Yesterday (day 1) has 10 rows; days 2 and 3 have 10 each, day 4 none: average 20/3 → 10 is within +100%.
    const rows = history(10, 0);
    const yesterday = volumeAnomaly('created_at', { days: 3, dayOffset: 1 });
    expect(await both(rows, yesterday)).toMatchObject({ status: 'pass', observed: 10 });
    // Judged today (nothing loaded yet), the same data is a 100% drop.
    expect(await both(rows, check)).toMatchObject({ status: 'fail', observed: 0 });
  });

  it('passes with no history', async () => {
    expect(await both(history(0, 7), check)).toMatchObject({ status: 'pass', message: 'no history yet' });
  });
});

describe('custom SQL and custom predicates', () => {
  it('custom SQL: returned rows are failures, {{table}} is the checked table', async () => {
    await load(items(5, (i) => ({ amount: i - 2 })));
    const [result] = await runSqlChecks(
      db.sql,
      table(),
      [customSql('no_negative_amounts', 'SELECT id, amount FROM {{table}} WHERE amount < $1 ORDER BY id;\n', [0])],
      { sampleSize: 1 },
    );
    expect(result).toMatchObject({ status: 'fail', failing: 2, total: 5, sample: [{ id: 1, amount: -2 }] });
    expect(() => runChecks([], [customSql('x', 'SELECT 1')])).toThrow(UnsupportedCheckError);
  });

  it('custom predicate in memory, refused in SQL', async () => {
    const check = custom('even ids', (row) => (row.id as number) % 2 === 0 || `odd id ${row.id}`);
    const [result] = runChecks(items(4) as never, [check]);
    expect(result).toMatchObject({ failing: 2 });
    await expect(runSqlChecks(db.sql, table(), [check])).rejects.toThrow(UnsupportedCheckError);
  });
});

describe('several checks in one run', () => {
  beforeEach(async () => {
    await load(items(20, (i) => ({ email: i === 0 ? null : `u${i}@x`, status: i === 1 ? 'lost' : 'new' })));
  });

  it('share one scan and keep the order of the checks', async () => {
    const checks = [notNull('email'), acceptedValues('status', ['new']), unique('id'), rowCount({ min: 1 })];
    const results = await runSqlChecks(db.sql, table(), checks);
    expect(results.map((r) => [r.name, r.status, r.failing])).toEqual([
      ['not_null(email)', 'fail', 1],
      ['accepted_values(status)', 'fail', 1],
      ['unique(id)', 'pass', 0],
      ['row_count', 'pass', 0],
    ]);
  });

  it('refuses hostile identifiers before sending anything', async () => {
    await expect(runSqlChecks(db.sql, table(), [notNull('email"; DROP TABLE items; --')])).rejects.toThrow(
      InvalidIdentifierError,
    );
    await expect(runSqlChecks(db.sql, 'items; DROP TABLE items', [rowCount({ min: 1 })])).rejects.toThrow(
      InvalidIdentifierError,
    );
    const { rows } = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.qschema}.items`);
    expect(rows[0]?.n).toBe(20);
  });

  it('bounds the sample', async () => {
    const [result] = await runSqlChecks(db.sql, table(), [notNull('status', { mostly: 0 })], { sampleSize: 0 });
    expect(result?.sample).toEqual([]);
  });
});
