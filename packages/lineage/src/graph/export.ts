import { systemClock } from '@pipewright/core';
import type { InputDataset, Job, JobEvent, OutputDataset, RunEvent } from '../events.ts';
import { jobEvent, runEvent } from '../events.ts';
import type { FacetOptions } from '../facets/base.ts';
import type { ColumnTransformation, InputField } from '../facets/dataset.ts';
import { columnLineageFacet, schemaFacet } from '../facets/dataset.ts';
import { documentationFacet, jobTypeFacet, sqlFacet } from '../facets/run.ts';
import { uuidv7At } from '../internal/uuid.ts';
import type { DatasetNode, GraphEventOptions, LineageGraph, TransformNode } from './graph.ts';
import { key } from './graph.ts';

type Io = { job: Job; inputs: InputDataset[]; outputs: OutputDataset[] };

function columnFields(t: TransformNode, output: string): Record<string, InputField[]> | undefined {
  const mappings = t.columns.filter((m) => key(m.output) === output);
  if (mappings.length === 0) return undefined;
  const fields: Record<string, InputField[]> = {};
  for (const m of mappings) {
    fields[m.field] = m.from.map((s) => {
      const transformation: ColumnTransformation = { type: s.type ?? 'DIRECT' };
      if (s.subtype !== undefined) transformation.subtype = s.subtype;
      if (s.description !== undefined) transformation.description = s.description;
      if (s.masking !== undefined) transformation.masking = s.masking;
      return {
        namespace: s.dataset.namespace,
        name: s.dataset.name,
        field: s.field,
        transformations: [transformation],
      };
    });
  }
  return fields;
}

/** The job and datasets of one transform, with schema, column-lineage, sql and documentation facets. */
function transformIo(
  graph: LineageGraph,
  datasets: Map<string, DatasetNode>,
  t: TransformNode,
  facet: FacetOptions,
): Io {
  const dataset = (k: string): InputDataset => {
    const d = datasets.get(k) as DatasetNode;
    return d.fields
      ? { namespace: d.namespace, name: d.name, facets: { schema: schemaFacet(d.fields, facet) } }
      : { namespace: d.namespace, name: d.name };
  };
  const outputs = t.outputs.map((k) => {
    const out: OutputDataset = dataset(k);
    const fields = columnFields(t, k);
    if (fields) out.facets = { ...out.facets, columnLineage: columnLineageFacet(fields, undefined, facet) };
    return out;
  });
  const facets: Job['facets'] = { jobType: jobTypeFacet(undefined, facet) };
  if (t.sql !== undefined) facets.sql = sqlFacet(t.sql, 'postgres', facet);
  if (t.description !== undefined) facets.documentation = documentationFacet(t.description, undefined, facet);
  return { job: { namespace: graph.namespace, name: t.name, facets }, inputs: t.inputs.map(dataset), outputs };
}

export function graphRunEvents(graph: LineageGraph, options: GraphEventOptions): RunEvent[] {
  const clock = options.clock ?? systemClock;
  const types = options.eventTypes ?? ['START', 'COMPLETE'];
  const producer = options.producer ? { producer: options.producer } : {};
  const { datasets, transforms } = graph.snapshot();
  const events: RunEvent[] = [];
  for (const t of transforms) {
    const runId = options.runId ? options.runId(t.name) : uuidv7At(clock.now());
    const io = transformIo(graph, datasets, t, producer);
    for (const eventType of types) events.push(runEvent({ eventType, run: { runId }, ...io, clock, ...producer }));
  }
  return events;
}

export function graphJobEvents(
  graph: LineageGraph,
  options: Omit<GraphEventOptions, 'eventTypes' | 'runId'>,
): JobEvent[] {
  const clock = options.clock ?? systemClock;
  const producer = options.producer ? { producer: options.producer } : {};
  const { datasets, transforms } = graph.snapshot();
  return transforms.map((t) => jobEvent({ ...transformIo(graph, datasets, t, producer), clock, ...producer }));
}
