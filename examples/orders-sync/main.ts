// `npm run demo`: the example job end to end, on embedded PGlite (or PG_URL). Exits non-zero if anything is off.

import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { quoteIdentifier } from '@pipewright/core';
import { createPostgresDeadLetterQueue, createRedisDeadLetterQueue } from '@pipewright/dlq';
import { createLineage, fileTransport } from '@pipewright/lineage';
import { createPipelineMetrics } from '@pipewright/metrics';
import {
  createLeaseStore,
  createRunAudit,
  type JobRunResult,
  job,
  type StepContext,
  step,
  webhookNotifier,
} from '@pipewright/pipeline';
import { acceptedValues, buildReport, notNull, range, renderReport, runSqlChecks, unique } from '@pipewright/quality';
import { pgStateStore } from '@pipewright/watermark';
import { Redis } from 'ioredis';
import * as promClient from 'prom-client';
import { startApi } from './api.ts';
import { type CustomersResult, syncCustomers } from './customers.ts';
import { openDatabase } from './db.ts';
import { type OrdersRun, syncOrders } from './orders.ts';
import { progress } from './progress.ts';
import { seedOrders, touchOrders } from './source.ts';

const ORDERS = Number(process.env.DEMO_ORDERS ?? 5000);
const CUSTOMERS = Number(process.env.DEMO_CUSTOMERS ?? 400);
const outDir = resolve(process.env.DEMO_OUT ?? '.pipewright/demo');
const suffix = process.env.PG_URL ? `_${process.pid}` : '';
const shop = `shop${suffix}`;
const warehouse = `warehouse${suffix}`;
const pw = `pipewright${suffix}`;
const failures: string[] = [];
const redisPrefix = `pw:demo:${process.pid}:`;
let redis: Redis | undefined;
const check = (ok: boolean, what: string): void => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

mkdirSync(outDir, { recursive: true });
const db = await openDatabase([shop, warehouse, pw]);
const api = await startApi({ customers: CUSTOMERS, hangMs: 2500 });
const alerts: string[] = [];
const hook = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => {
    body += c.toString();
  });
  req.on('end', () => {
    alerts.push((JSON.parse(body) as { text: string }).text);
    res.end('ok');
  });
});
hook.listen(0, '127.0.0.1');
await once(hook, 'listening');

try {
  const { sql } = db;
  const where = db.kind === 'pglite' ? 'embedded PGlite (no server)' : 'PostgreSQL (PG_URL)';
  console.log(`Pipewright demo on ${where}${process.env.REDIS_URL ? ', dead letters in Redis (REDIS_URL)' : ''}\n`);
  await sql.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(warehouse)};
    CREATE TABLE IF NOT EXISTS ${quoteIdentifier(warehouse)}.orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL,
      amount numeric(18,2) NOT NULL, currency text NOT NULL, status text NOT NULL, updated_at timestamptz NOT NULL);
    CREATE TABLE IF NOT EXISTS ${quoteIdentifier(warehouse)}.customers (id bigint PRIMARY KEY, name text NOT NULL,
      email text NOT NULL, country text NOT NULL, updated_at timestamptz NOT NULL);`);
  await seedOrders(sql, shop, ORDERS, Date.now());
  const state = pgStateStore(sql, { schema: pw });
  await state.migrate();
  // Dead letters in Redis Streams when REDIS_URL is set (keys under a per-process prefix, removed at the end).
  redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
  const dlq = redis
    ? createRedisDeadLetterQueue({ redis, name: 'orders-sync', prefix: redisPrefix })
    : createPostgresDeadLetterQueue({ sql, schema: pw });
  await dlq.setup();
  const audit = createRunAudit({ sql, schema: pw });
  const leases = createLeaseStore({ sql, schema: pw });
  const registry = new promClient.Registry();
  const metrics = createPipelineMetrics({ pipeline: 'orders-sync', prometheus: { registry, client: promClient } });
  const lineagePath = join(outDir, 'lineage.ndjson');
  writeFileSync(lineagePath, '');
  const lineage = createLineage({ namespace: 'pipewright-demo', transport: fileTransport({ path: lineagePath }) });
  const deps = { sql, state, dlq, shop, warehouse, api: api.url };

  let ordersRun: OrdersRun = { pageSize: 500 };
  let lastCustomers: CustomersResult | undefined;
  const customers = step('customers', async (ctx: StepContext) => {
    const bar = progress('customers', CUSTOMERS);
    lastCustomers = await syncCustomers(ctx, deps, (n) => bar.update(n));
    bar.finish(`${lastCustomers.retries} retries`);
    return lastCustomers;
  });
  const orders = step(
    'orders',
    async (ctx: StepContext) => {
      const committed = (await state.get('orders'))?.position as { cursor: string } | undefined;
      const { rows } = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${quoteIdentifier(shop)}.orders WHERE $1::timestamptz IS NULL OR updated_at > $1`,
        [committed?.cursor ?? null],
      );
      const bar = progress('orders', rows[0]?.n ?? 0);
      const result = await syncOrders(ctx, deps, {
        ...ordersRun,
        onPage: async (index, read) => {
          bar.update(read);
          await ordersRun.onPage?.(index, read);
        },
      });
      bar.finish();
      return result;
    },
    {
      lineage: {
        inputs: [{ namespace: db.namespace, name: `${shop}.orders` }],
        outputs: [{ namespace: db.namespace, name: `${warehouse}.orders` }],
      },
    },
  );
  let lastQuality: ReturnType<typeof buildReport> | undefined;
  const quality = step(
    'quality',
    async () => {
      const results = await runSqlChecks(sql, { schema: warehouse, name: 'orders' }, [
        unique('id'),
        notNull('amount'),
        range('amount', { min: 0 }),
        acceptedValues('status', ['new', 'paid', 'shipped', 'cancelled']),
      ]);
      lastQuality = buildReport({ orders: results });
      return lastQuality;
    },
    { dependsOn: ['orders', 'customers'] },
  );
  const nightly = job('orders-sync', [customers, orders, quality], {
    audit,
    lock: { leases },
    metrics,
    lineage,
    alerts: {
      notifiers: webhookNotifier({ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/demo` }),
    },
  });
  const describe = (r: JobRunResult, name: string) => r.steps.find((s) => s.name === name);

  // 1. First run: everything is new; the shop keeps updating orders while we read.
  console.log('Run 1: initial load (the shop keeps writing meanwhile)');
  const touched = Array.from({ length: 30 }, (_, i) => 1 + i * 97).filter((id) => id <= ORDERS);
  ordersRun = {
    pageSize: 500,
    onPage: (index) => (index === 0 ? touchOrders(sql, shop, touched) : undefined),
  };
  const first = await nightly.run();
  const o1 = describe(first, 'orders');
  const c1 = describe(first, 'customers');
  console.log(`\n  status ${first.status} in ${first.durationMs} ms${first.error ? `: ${first.error.message}` : ''}`);
  console.log(`  orders:    in ${o1?.counts.in}, loaded ${o1?.counts.out}, dead-lettered ${o1?.counts.deadLettered}`);
  console.log(`  customers: in ${c1?.counts.in}, loaded ${c1?.counts.out}, dead-lettered ${c1?.counts.deadLettered}`);
  console.log(
    `  API: ${api.stats.requests} requests, ${api.stats.throttled} × 429, ${api.stats.unavailable} × 503, ${api.stats.hung} timed out; ${lastCustomers?.retries} retries`,
  );
  const drift = lastCustomers?.drift;
  console.log(
    `  drift: ${drift?.hasDrift ? drift.newFields.map((f) => `new field "${f.name}" in ${f.count} records (quarantined to dead letters)`).join('; ') : 'none'}`,
  );
  if (lastQuality) console.log(`\n${renderReport(lastQuality)}`);
  check(lastQuality?.summary.failed === 0, 'the warehouse passes its quality checks');
  check(first.status === 'succeeded', 'run 1 succeeded');
  check(
    (o1?.counts.out ?? 0) + (o1?.counts.deadLettered ?? 0) === o1?.counts.in,
    'every order read was loaded or dead-lettered',
  );
  check(
    (c1?.counts.out ?? 0) + (c1?.counts.deadLettered ?? 0) === CUSTOMERS,
    'every customer was loaded or dead-lettered',
  );
  check(
    api.stats.throttled + api.stats.unavailable + api.stats.hung > 0 && (lastCustomers?.retries ?? 0) > 0,
    'API faults were retried',
  );

  // 2. Catch-up: exactly the orders the shop changed during run 1.
  console.log('\nRun 2: catch-up (the orders changed during run 1)');
  ordersRun = { pageSize: 500 };
  const second = await nightly.run();
  const o2 = describe(second, 'orders');
  console.log(`  status ${second.status}: orders in ${o2?.counts.in}, loaded ${o2?.counts.out}`);
  check(
    second.status === 'succeeded' && o2?.counts.in === touched.length,
    `run 2 read exactly the ${touched.length} changed orders`,
  );

  // 3. Idempotency: nothing changed, nothing written.
  console.log('\nRun 3: nothing changed');
  const third = await nightly.run();
  const o3 = (describe(third, 'orders')?.counts.in ?? -1) + (describe(third, 'customers')?.counts.in ?? -1);
  console.log(`  status ${third.status}: rows read ${o3}`);
  check(third.status === 'succeeded' && o3 === 0, 'run 3 read and wrote nothing');

  // 4. A crash mid-run, then recovery to the same result.
  console.log('\nRun 4: the shop changes 200 orders; the run crashes in its third page');
  const changed = Array.from({ length: Math.min(200, ORDERS) }, (_, i) => 1 + ((i * 37) % ORDERS));
  await touchOrders(sql, shop, changed);
  check(changed.length === new Set(changed).size, 'the shop changed 200 distinct orders');
  ordersRun = { pageSize: 50, crashAtPage: 2 };
  const crashed = await nightly.run();
  console.log(`  status ${crashed.status}: ${crashed.error?.message}`);
  console.log(`  alert posted: ${alerts.at(-1) ?? '(none)'}`);
  check(
    crashed.status === 'failed' && describe(crashed, 'quality')?.status === 'skipped',
    'the crashed run failed and skipped the quality step',
  );
  check(alerts.length === 1, 'one failure alert was delivered');
  console.log('Run 5: recovery');
  ordersRun = { pageSize: 50 };
  const recovered = await nightly.run();
  console.log(`  status ${recovered.status}: orders in ${describe(recovered, 'orders')?.counts.in}`);
  const { rows: diff } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       (SELECT id, customer_id, amount, currency, status, updated_at FROM ${quoteIdentifier(shop)}.orders
        WHERE currency IN ('EUR', 'USD', 'GBP') AND status IN ('new', 'paid', 'shipped', 'cancelled')
        EXCEPT SELECT * FROM ${quoteIdentifier(warehouse)}.orders)
       UNION ALL
       (SELECT * FROM ${quoteIdentifier(warehouse)}.orders
        EXCEPT SELECT id, customer_id, amount, currency, status, updated_at FROM ${quoteIdentifier(shop)}.orders)) d`,
  );
  check(recovered.status === 'succeeded', 'the recovery run succeeded');
  check(diff[0]?.n === 0, 'the warehouse equals every valid source order: nothing lost, nothing duplicated');

  // Where to look.
  await lineage.close();
  writeFileSync(join(outDir, 'metrics.prom'), await registry.metrics());
  const last = await audit.lastSuccess('orders-sync');
  const failed = await audit.failures({ pipeline: 'orders-sync' });
  console.log(`\nDead letters waiting for review: ${await dlq.count({ pipeline: 'orders-sync' })}`);
  console.log(
    `Run audit: last success ${last?.finishedAt?.toISOString()}, ${failed.length} failed run(s) in the last 24 h`,
  );
  console.log(`Lineage (OpenLineage NDJSON): ${lineagePath}`);
  console.log(`Metrics (Prometheus text):    ${join(outDir, 'metrics.prom')}`);
} catch (error) {
  failures.push(`unexpected error: ${(error as Error).stack ?? error}`);
  console.error(error);
} finally {
  await api.close();
  if (redis) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
  hook.closeAllConnections();
  hook.close();
  await db.close();
}

if (failures.length > 0) {
  console.error(`\nDemo FAILED:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('\nDemo passed: every check above holds.');
