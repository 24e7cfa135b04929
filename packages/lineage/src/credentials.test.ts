import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { datasetEvent } from './events.ts';
import { schemaFacet } from './facets/dataset.ts';
import { LineageGraph } from './graph/graph.ts';
import { dataSourceFacet, postgresDataset, postgresNamespace } from './naming.ts';
import { createLineage } from './run.ts';
import { fileTransport } from './transports/file.ts';

const dir = await mkdtemp(join(tmpdir(), 'pw-lineage-cred-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const USER = 'etl_owner';
const PASSWORD = 'Hunter2-Sup3rS3cret';
const TOKEN = 'tok_9f8e7d6c5b4a';
const URL = `postgres://${USER}:${PASSWORD}@warehouse.internal:5433/shop?sslmode=require&sslpassword=${TOKEN}`;
const CONFIG = { host: 'warehouse.internal', port: 5433, database: 'shop', user: USER, password: PASSWORD };

it('a connection string with a password in: no user, password or secret anywhere out', async () => {
  const path = join(dir, 'lineage.ndjson');
  const lineage = createLineage({ namespace: 'shop-etl', transport: fileTransport({ path }) });
  const source = postgresDataset(URL, 'public.orders');
  const target = postgresDataset(CONFIG, 'analytics.totals');
  const withSource = { ...source, facets: { dataSource: dataSourceFacet(URL), schema: schemaFacet({ id: 'bigint' }) } };

  const ok = lineage.startRun('orders.totals', { inputs: [withSource], outputs: [target] });
  ok.complete();
  // A failure whose message, stack and cause all quote the connection string (as careless code does).
  const failing = lineage.startRun('orders.totals');
  const cause = new Error(`could not connect to ${URL}`);
  const error = new Error(`sync failed for ${URL} (password=${PASSWORD}, Authorization: Bearer ${TOKEN})`, { cause });
  error.stack = `${error.message}\n    at connect (${URL})`;
  failing.fail(error);
  lineage.emit(datasetEvent({ dataset: withSource }));
  await lineage.close();

  const graph = new LineageGraph().addTransform({ name: 'orders.totals', inputs: [source], outputs: [target] });
  const outputs = [
    await readFile(path, 'utf8'),
    graph.toMermaid(),
    graph.toDot(),
    JSON.stringify(graph.toRunEvents()),
    postgresNamespace(URL),
  ];
  for (const text of outputs) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(USER);
    expect(text).not.toContain(encodeURIComponent(PASSWORD));
  }
  // …while what identifies the data is all there.
  const file = outputs[0]!;
  expect(file).toContain('"namespace":"postgres://warehouse.internal:5433"');
  expect(file).toContain('"name":"shop.public.orders"');
  expect(file).toContain('"name":"shop.analytics.totals"');
  expect(file).toContain('sync failed for postgres://warehouse.internal:5433/shop');
  expect(file.trim().split('\n')).toHaveLength(5);
});
