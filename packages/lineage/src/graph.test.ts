import { FakeClock } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { openLineageValidator } from '../../../test/helpers/openlineage.ts';
import { LineageGraph } from './graph/graph.ts';
import { datasetFromLocation, postgresDataset } from './naming.ts';

const PG = 'postgres://db:5432/shop';
const raw = datasetFromLocation('s3://landing/orders.csv');
const orders = postgresDataset(PG, 'staging.orders');
const customers = postgresDataset(PG, 'public.customers');
const enriched = postgresDataset(PG, 'public.orders_enriched');
const daily = postgresDataset(PG, 'analytics.daily_revenue');

function shopGraph(): LineageGraph {
  return new LineageGraph({ namespace: 'shop-etl' })
    .addSource(raw)
    .addSource({
      ...customers,
      fields: [
        { name: 'id', type: 'bigint' },
        { name: 'country', type: 'text' },
      ],
    })
    .addTransform({
      name: 'load_orders',
      inputs: [raw],
      outputs: [orders],
      columns: [{ output: orders, field: 'amount', from: [{ dataset: raw, field: 'amount' }] }],
    })
    .addTransform({
      name: 'enrich',
      inputs: [orders, customers],
      outputs: [enriched],
      sql: 'INSERT INTO orders_enriched SELECT … JOIN customers …',
      columns: [
        { output: enriched, field: 'amount', from: [{ dataset: orders, field: 'amount' }] },
        { output: enriched, field: 'country', from: [{ dataset: customers, field: 'country' }] },
        {
          output: enriched,
          field: 'customer_id',
          from: [
            { dataset: orders, field: 'customer_id' },
            { dataset: customers, field: 'id', type: 'INDIRECT', subtype: 'JOIN' },
          ],
        },
      ],
    })
    .addTransform({
      name: 'daily_revenue',
      inputs: [enriched],
      outputs: [daily],
      description: 'Revenue per day and country',
      columns: [
        {
          output: daily,
          field: 'revenue',
          from: [{ dataset: enriched, field: 'amount', subtype: 'AGGREGATION', masking: false, description: 'sum' }],
        },
      ],
    })
    .addDestination(daily);
}

const names = (list: { name: string }[]): string[] => list.map((d) => d.name);

describe('LineageGraph', () => {
  it('knows its sources and destinations', () => {
    const g = shopGraph();
    expect(names(g.sources())).toEqual(['orders.csv', 'shop.public.customers']);
    expect(names(g.destinations())).toEqual(['shop.analytics.daily_revenue']);
    expect(g.transforms()).toEqual(['load_orders', 'enrich', 'daily_revenue']);
    expect(g.datasets()).toHaveLength(5);
  });

  it('upstream and downstream, transitively, nearest first', () => {
    const g = shopGraph();
    expect(g.upstream(daily)).toEqual({
      datasets: [enriched, orders, { ...customers, fields: expect.any(Array) }, raw],
      transforms: ['daily_revenue', 'enrich', 'load_orders'],
    });
    expect(g.downstream(raw)).toEqual({
      datasets: [orders, enriched, daily],
      transforms: ['load_orders', 'enrich', 'daily_revenue'],
    });
    expect(g.downstream(customers).transforms).toEqual(['enrich', 'daily_revenue']);
    expect(g.upstream('enrich')).toEqual({
      datasets: [orders, { ...customers, fields: expect.any(Array) }, raw],
      transforms: ['load_orders'],
    });
    expect(g.downstream('enrich').datasets).toEqual([enriched, daily]);
    expect(g.upstream(raw)).toEqual({ datasets: [], transforms: [] });
    expect(() => g.upstream({ namespace: 'x', name: 'y' })).toThrow(/dataset in the graph/);
    expect(() => g.downstream('nope')).toThrow(/transform in the graph/);
  });

  it('traces a column back to its source columns', () => {
    const g = shopGraph();
    expect(g.columnOrigins(daily, 'revenue')).toEqual([{ ...raw, field: 'amount' }]);
    expect(g.columnOrigins(enriched, 'customer_id')).toEqual([
      { ...orders, field: 'customer_id' },
      { ...customers, field: 'id' },
    ]);
    expect(g.columnOrigins(daily, 'unknown')).toEqual([]);
    expect(() => g.columnOrigins({ namespace: 'x', name: 'y' }, 'a')).toThrow(/dataset in the graph/);
  });

  it('refuses inconsistent transforms', () => {
    const g = shopGraph();
    expect(() => g.addTransform({ name: 'enrich', inputs: [], outputs: [] })).toThrow(/not yet in the graph/);
    expect(() =>
      g.addTransform({
        name: 'x',
        inputs: [raw],
        outputs: [orders],
        columns: [{ output: daily, field: 'a', from: [] }],
      }),
    ).toThrow(/one of the outputs/);
    expect(() =>
      g.addTransform({
        name: 'y',
        inputs: [raw],
        outputs: [orders],
        columns: [{ output: orders, field: 'a', from: [{ dataset: daily, field: 'b' }] }],
      }),
    ).toThrow(/one of the inputs/);
    expect(() => g.addSource({ namespace: '', name: 'x' })).toThrow(/namespace/);
    expect(() => new LineageGraph({ namespace: '' })).toThrow(/namespace/);
  });

  it('renders Mermaid: every node and edge, column labels, roles styled, hostile names escaped', () => {
    const g = shopGraph();
    const text = g.toMermaid();
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    expect(text).toContain('d0[("orders.csv<br/>s3://landing")]');
    expect(text).toContain('t1["enrich"]');
    expect(text.match(/-->/g)).toHaveLength(7); // 4 input edges + 3 output edges
    expect(text).toContain('t2 -->|"revenue ← orders_enriched.amount"| d4');
    expect(text).toContain('class d0,d1 source');
    expect(text).toContain('class d4 destination');
    expect(g.toMermaid({ columns: false, direction: 'TB' })).not.toContain('←');
    const hostile = new LineageGraph().addTransform({
      name: 'a"]; click x',
      inputs: [{ namespace: 'n', name: 'in|<b>' }],
      outputs: [],
    });
    const out = hostile.toMermaid();
    expect(out).toContain('t0["a#quot;]; click x"]');
    expect(out).toContain('in#124;#lt;b#gt;');
  });

  it('renders Graphviz DOT with column ports and column edges', () => {
    const g = shopGraph();
    const dot = g.toDot();
    expect(dot.startsWith('digraph lineage {\n  rankdir=LR;')).toBe(true);
    expect(dot.trim().endsWith('}')).toBe(true);
    expect(dot).toContain('<td port="c0" align="left">amount</td>');
    expect(dot).toContain('d2:c0 -> d3:c0 [style=dashed'); // orders.amount → orders_enriched.amount
    expect(dot).toContain('d1:c0 -> d3:c2 [style=dotted'); // customers.id → customer_id (INDIRECT JOIN)
    const plain = g.toDot({ columns: false });
    expect(plain).toContain('shape=cylinder');
    expect(plain).not.toContain('port=');
    const hostile = new LineageGraph().addTransform({
      name: 'a"\\b',
      inputs: [{ namespace: 'n', name: '<x>&' }],
      outputs: [],
    });
    expect(hostile.toDot({ columns: false })).toContain('label="a\\"\\\\b"');
  });

  it('exports to OpenLineage: START+COMPLETE per transform with schema and column lineage, and JobEvents', () => {
    const g = shopGraph();
    const clock = new FakeClock(Date.UTC(2026, 10, 21));
    const events = g.toRunEvents({
      clock,
      runId: (t) => `01930000-0000-7000-8000-00000000000${g.transforms().indexOf(t)}`,
    });
    expect(events.map((e) => `${e.job.name}:${e.eventType}`)).toEqual([
      'load_orders:START',
      'load_orders:COMPLETE',
      'enrich:START',
      'enrich:COMPLETE',
      'daily_revenue:START',
      'daily_revenue:COMPLETE',
    ]);
    const enrich = events[3]!;
    expect(enrich.job).toMatchObject({
      namespace: 'shop-etl',
      facets: { sql: { query: expect.stringContaining('JOIN') } },
    });
    expect(enrich.inputs[1]!.facets?.schema?.fields).toEqual([
      { name: 'id', type: 'bigint' },
      { name: 'country', type: 'text' },
    ]);
    expect(enrich.outputs[0]!.facets?.columnLineage?.fields.customer_id?.inputFields).toEqual([
      { ...orders, field: 'customer_id', transformations: [{ type: 'DIRECT' }] },
      { ...customers, field: 'id', transformations: [{ type: 'INDIRECT', subtype: 'JOIN' }] },
    ]);
    const jobs = g.toJobEvents({ clock, producer: 'https://example.com/etl' });
    expect(jobs).toHaveLength(3);
    expect(jobs[2]!.job.facets?.documentation?.description).toBe('Revenue per day and country');
    expect(jobs[2]!.job.facets?.documentation?._producer).toBe('https://example.com/etl');
    const v = openLineageValidator();
    for (const e of [...events, ...jobs]) expect(v.event(e)).toEqual([]);
    expect(new Set(g.toRunEvents({ eventTypes: ['COMPLETE'] }).map((e) => e.run.runId)).size).toBe(3);
  });
});
