import { FakeClock } from '@pipewright/core';
import * as promClient from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusSamples, sampleValue } from '../../../../test/helpers/prometheus-text.ts';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { createPipelineMetrics } from '../metrics.ts';
import { checkDeadLetterRate, deadLetterRateVerdict } from './dead-letter-rate.ts';
import { checkFreshness } from './freshness.ts';
import { checkVolume } from './volume.ts';

const db = useTestDatabase();
const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Inserts one row per offset (milliseconds before NOW) into table, with a pipeline column. */
async function insertAt(table: string, offsets: number[], pipeline = 'orders'): Promise<void> {
  await db.sql.query(
    `INSERT INTO ${db.qschema}.${table} (pipeline, created_at)
     SELECT $1, t FROM unnest($2::timestamptz[]) AS t`,
    [pipeline, offsets.map((offset) => new Date(NOW - offset).toISOString())],
  );
}

function setup() {
  const registry = new promClient.Registry();
  const metrics = createPipelineMetrics({ pipeline: 'orders', prometheus: { client: promClient, registry } });
  const samples = async () => parsePrometheusSamples(await registry.metrics());
  return { metrics, samples, clock: new FakeClock(NOW) };
}

beforeAll(async () => {
  for (const table of ['events', 'empty_events', 'dead_letters', 'volume_events']) {
    await db.sql.exec(
      `CREATE TABLE ${db.qschema}.${table} (id bigserial PRIMARY KEY, pipeline text NOT NULL, created_at timestamptz NOT NULL)`,
    );
  }
});

describe('checkFreshness', () => {
  it('measures the age of the newest record and sets the gauges', async () => {
    const { metrics, samples, clock } = setup();
    await insertAt('events', [3 * HOUR, 2 * HOUR + 90_500]);
    await insertAt('events', [60_000], 'customers'); // newer, but filtered out
    const table = { schema: db.schema, name: 'events' };
    const verdict = await checkFreshness({
      sql: db.sql,
      table,
      column: 'created_at',
      where: { pipeline: 'orders' },
      maxAgeSeconds: 4 * 3600,
      warnAgeSeconds: 3600,
      metrics,
      clock,
    });
    expect(verdict).toMatchObject({ monitor: 'freshness', dataset: `${db.schema}.events`, status: 'warning' });
    expect(verdict.value).toBeCloseTo(2 * 3600 + 90.5, 6);
    const all = await samples();
    expect(sampleValue(all, 'pipewright_freshness_seconds', { dataset: `${db.schema}.events` })).toBeCloseTo(7290.5, 6);
    expect(sampleValue(all, 'pipewright_monitor_status', { monitor: 'freshness' })).toBe(1);

    await clock.advance(2 * HOUR);
    const stale = await checkFreshness({
      sql: db.sql,
      table,
      column: 'created_at',
      where: { pipeline: 'orders' },
      maxAgeSeconds: 4 * 3600,
      metrics,
      clock,
    });
    expect(stale.status).toBe('broken');
    expect(sampleValue(await samples(), 'pipewright_monitor_status', { monitor: 'freshness' })).toBe(2);
    const fresh = await checkFreshness({
      sql: db.sql,
      table,
      column: 'created_at',
      maxAgeSeconds: 4 * 3600,
      clock,
      dataset: 'all',
    });
    expect(fresh).toMatchObject({ status: 'healthy', dataset: 'all' });
  });

  it('calls an empty table broken, and refuses unsafe identifiers and bad thresholds', async () => {
    const verdict = await checkFreshness({
      sql: db.sql,
      table: `${db.schema}.empty_events`,
      column: 'created_at',
      maxAgeSeconds: 60,
    });
    expect(verdict).toMatchObject({ status: 'broken', value: null });
    await expect(
      checkFreshness({ sql: db.sql, table: 'events; DROP TABLE x', column: 'created_at', maxAgeSeconds: 60 }),
    ).rejects.toThrow(/Invalid SQL identifier/);
    await expect(
      checkFreshness({ sql: db.sql, table: `${db.schema}.events`, column: 'created_at"--', maxAgeSeconds: 60 }),
    ).rejects.toThrow(/Invalid SQL identifier/);
    await expect(
      checkFreshness({ sql: db.sql, table: `${db.schema}.events`, column: 'created_at', maxAgeSeconds: -1 }),
    ).rejects.toThrow(/maxAgeSeconds/);
    await expect(
      checkFreshness({ sql: undefined as never, table: 'x', column: 'y', maxAgeSeconds: 1 }),
    ).rejects.toThrow(/Expected `sql`/);
  });
});

describe('checkVolume', () => {
  it('compares the last 24 hours with the daily average of the 7 days before', async () => {
    const { metrics, samples, clock } = setup();
    // Baseline: 10 records on each of the 7 previous days (70 in total); 9 days ago does not count.
    const baseline = Array.from({ length: 7 }, (_, day) =>
      Array.from({ length: 10 }, () => DAY * (day + 1) + HOUR),
    ).flat();
    await insertAt('volume_events', [...baseline, 9 * DAY, 9 * DAY]);
    await insertAt('volume_events', [HOUR, 2 * HOUR, 3 * HOUR]); // 3 in the last 24 h: ratio 0.3
    const options = {
      sql: db.sql,
      table: `${db.schema}.volume_events`,
      column: 'created_at',
      metrics,
      clock,
      dataset: 'volume',
    };
    const low = await checkVolume(options);
    expect(low).toMatchObject({ monitor: 'volume', status: 'warning' });
    expect(low.value).toBeCloseTo(0.3, 9);
    expect(sampleValue(await samples(), 'pipewright_volume_ratio', { dataset: 'volume' })).toBeCloseTo(0.3, 9);

    await insertAt(
      'volume_events',
      Array.from({ length: 7 }, () => 4 * HOUR),
    ); // 10 in the last 24 h: ratio 1
    const normal = await checkVolume(options);
    expect(normal).toMatchObject({ status: 'healthy', value: 1 });
    expect(sampleValue(await samples(), 'pipewright_monitor_status', { monitor: 'volume' })).toBe(0);

    expect((await checkVolume({ ...options, maxRatio: 0.9 })).status).toBe('warning');
    await clock.advance(DAY); // now nothing in the last 24 h against a baseline: broken
    expect(await checkVolume(options)).toMatchObject({ status: 'broken', value: 0 });
  });

  it('has no ratio without a baseline', async () => {
    const clock = new FakeClock(NOW);
    const options = { sql: db.sql, table: `${db.schema}.empty_events`, column: 'created_at', clock };
    expect(await checkVolume(options)).toMatchObject({ status: 'warning', value: null });
    await insertAt('empty_events', [HOUR]);
    expect(await checkVolume(options)).toMatchObject({ status: 'healthy', value: null });
    await db.sql.query(`DELETE FROM ${db.qschema}.empty_events`);
    await expect(checkVolume({ ...options, minRatio: 2, maxRatio: 1 })).rejects.toThrow(/maxRatio/);
    await expect(checkVolume({ ...options, baselineDays: 0 })).rejects.toThrow(/baselineDays/);
  });
});

describe('checkDeadLetterRate', () => {
  it('divides dead letters by processed records in the window: healthy < 1%, warning 1-5%, broken > 5%', async () => {
    const { metrics, samples, clock } = setup();
    await insertAt('dead_letters', [HOUR, 2 * HOUR, 2 * DAY]); // 2 in the last 24 h
    await insertAt('dead_letters', [HOUR], 'customers');
    const deadLetters = { table: `${db.schema}.dead_letters`, column: 'created_at', where: { pipeline: 'orders' } };
    const base = { sql: db.sql, deadLetters, metrics, clock, dataset: 'orders_dlq' };
    expect(await checkDeadLetterRate({ ...base, processed: 1000 })).toMatchObject({ status: 'healthy', value: 0.002 });
    expect(await checkDeadLetterRate({ ...base, processed: 100 })).toMatchObject({ status: 'warning', value: 0.02 });
    expect(sampleValue(await samples(), 'pipewright_dead_letter_ratio', { dataset: 'orders_dlq' })).toBe(0.02);
    expect(sampleValue(await samples(), 'pipewright_monitor_status', { monitor: 'dead_letter_rate' })).toBe(1);
    // Processed counted from a table over the same window: 2 "orders" events and 2 dead letters in 6 hours.
    const fromTable = await checkDeadLetterRate({
      ...base,
      processed: { table: `${db.schema}.events`, column: 'created_at', where: { pipeline: 'orders' } },
      windowSeconds: 6 * 3600,
    });
    expect(fromTable.status).toBe('broken');
    expect(fromTable.value).toBeCloseTo(2 / 2, 9);
    expect(sampleValue(await samples(), 'pipewright_monitor_status', { monitor: 'dead_letter_rate' })).toBe(2);
  });

  it('judges counts you already have', () => {
    expect(deadLetterRateVerdict(0, 0, { dataset: 'd' })).toMatchObject({ status: 'healthy', value: null });
    expect(deadLetterRateVerdict(1, 0, { dataset: 'd' })).toMatchObject({ status: 'broken', value: null });
    expect(deadLetterRateVerdict(9, 1000, { dataset: 'd' }).status).toBe('healthy');
    expect(deadLetterRateVerdict(10, 1000, { dataset: 'd' }).status).toBe('warning');
    expect(deadLetterRateVerdict(50, 1000, { dataset: 'd' }).status).toBe('warning');
    expect(deadLetterRateVerdict(51, 1000, { dataset: 'd' }).status).toBe('broken');
    expect(deadLetterRateVerdict(51, 1000, { dataset: 'd', thresholds: { broken: 0.1 } }).status).toBe('warning');
    expect(() => deadLetterRateVerdict(1, 10, { dataset: 'd', thresholds: { warning: 0 } })).toThrow(
      /thresholds.warning/,
    );
  });
});
