import type { Clock } from '@pipewright/core';
import { InvalidLineageInputError } from '../errors.ts';
import type { JobEvent, RunEvent, RunEventType } from '../events.ts';
import { assertString } from '../facets/base.ts';
import type { ColumnTransformation, InputField, SchemaField } from '../facets/dataset.ts';
import type { DatasetRef } from '../naming.ts';
import { graphJobEvents, graphRunEvents } from './export.ts';
import type { RenderOptions } from './render.ts';
import { toDot, toMermaid } from './render.ts';

/** A dataset in the graph, with its columns when known. */
export interface DatasetNode extends DatasetRef {
  fields?: SchemaField[];
}

/** An input column an output column is computed from. */
export interface ColumnSource {
  dataset: DatasetRef;
  field: string;
  /** @default 'DIRECT' */
  type?: ColumnTransformation['type'];
  /** e.g. IDENTITY, TRANSFORMATION, AGGREGATION, FILTER, JOIN. */
  subtype?: string;
  description?: string;
  masking?: boolean;
}

/** Where one output column comes from. */
export interface ColumnMapping {
  /** The output dataset (must be one of the transform's outputs). */
  output: DatasetRef;
  field: string;
  from: ColumnSource[];
}

/** A step that reads datasets and writes others. */
export interface TransformSpec {
  /** The job name, unique in the graph. */
  name: string;
  inputs: (DatasetRef | DatasetNode)[];
  outputs: (DatasetRef | DatasetNode)[];
  columns?: ColumnMapping[];
  /** Emitted as the `sql` job facet. */
  sql?: string;
  /** Emitted as the `documentation` job facet. */
  description?: string;
}

/** @internal */
export interface TransformNode {
  name: string;
  inputs: string[];
  outputs: string[];
  columns: ColumnMapping[];
  sql?: string;
  description?: string;
}

/** What `upstream()` / `downstream()` return: datasets and transforms, nearest first. */
export interface LineageSlice {
  datasets: DatasetRef[];
  transforms: string[];
}

export interface GraphEventOptions {
  /** @default ['START', 'COMPLETE']: the spec asks for a START and one terminal event per run */
  eventTypes?: RunEventType[];
  /** Run id per transform. @default a new UUIDv7 */
  runId?: (transform: string) => string;
  producer?: string;
  clock?: Clock;
}

/** @internal Identity of a dataset in the graph. */
export const key = (ref: DatasetRef): string => `${ref.namespace}\u0000${ref.name}`;

/**
 * A job's lineage as a graph: source datasets, transforms (with column mappings) and destination datasets.
 * Ask what is upstream or downstream of anything, draw it (Mermaid, Graphviz DOT), or emit it as OpenLineage.
 */
export class LineageGraph {
  /** Job namespace of the transforms. */
  readonly namespace: string;
  readonly #datasets = new Map<string, DatasetNode>();
  readonly #transforms = new Map<string, TransformNode>();
  readonly #declared = new Map<string, 'source' | 'destination'>();

  constructor(options: { namespace?: string } = {}) {
    this.namespace = options.namespace === undefined ? 'default' : assertString('namespace', options.namespace);
  }

  #addDataset(ref: DatasetRef | DatasetNode, field: string): string {
    assertString(`${field}.namespace`, ref?.namespace);
    assertString(`${field}.name`, ref.name);
    const k = key(ref);
    const existing = this.#datasets.get(k);
    const fields = (ref as DatasetNode).fields;
    if (!existing) this.#datasets.set(k, { namespace: ref.namespace, name: ref.name, ...(fields ? { fields } : {}) });
    else if (fields && !existing.fields) existing.fields = fields;
    return k;
  }

  /** Declares a dataset the job reads from outside. */
  addSource(dataset: DatasetRef | DatasetNode): this {
    this.#declared.set(this.#addDataset(dataset, 'source'), 'source');
    return this;
  }

  /** Declares a dataset the job delivers. */
  addDestination(dataset: DatasetRef | DatasetNode): this {
    this.#declared.set(this.#addDataset(dataset, 'destination'), 'destination');
    return this;
  }

  /** Adds a transform; its datasets are added too. Column mappings must name its own inputs and outputs. */
  addTransform(spec: TransformSpec): this {
    assertString('transform.name', spec?.name);
    if (this.#transforms.has(spec.name)) {
      throw new InvalidLineageInputError('transform.name', 'a name not yet in the graph', spec.name);
    }
    const inputs = (spec.inputs ?? []).map((d, i) => this.#addDataset(d, `${spec.name}.inputs[${i}]`));
    const outputs = (spec.outputs ?? []).map((d, i) => this.#addDataset(d, `${spec.name}.outputs[${i}]`));
    for (const [i, mapping] of (spec.columns ?? []).entries()) {
      if (!outputs.includes(key(mapping.output))) {
        throw new InvalidLineageInputError(
          `${spec.name}.columns[${i}].output`,
          'one of the outputs',
          mapping.output.name,
        );
      }
      assertString(`${spec.name}.columns[${i}].field`, mapping.field);
      for (const [j, source] of mapping.from.entries()) {
        if (!inputs.includes(key(source.dataset))) {
          throw new InvalidLineageInputError(
            `${spec.name}.columns[${i}].from[${j}]`,
            'one of the inputs',
            source.dataset.name,
          );
        }
      }
    }
    const node: TransformNode = { name: spec.name, inputs, outputs, columns: [...(spec.columns ?? [])] };
    if (spec.sql !== undefined) node.sql = spec.sql;
    if (spec.description !== undefined) node.description = spec.description;
    this.#transforms.set(spec.name, node);
    return this;
  }

  /** Every dataset, in the order added. */
  datasets(): DatasetNode[] {
    return [...this.#datasets.values()];
  }

  /** Every transform name, in the order added. */
  transforms(): string[] {
    return [...this.#transforms.keys()];
  }

  /** Datasets declared as sources, or that no transform writes. */
  sources(): DatasetRef[] {
    const written = new Set([...this.#transforms.values()].flatMap((t) => t.outputs));
    return [...this.#datasets.entries()]
      .filter(
        ([k]) => this.#declared.get(k) === 'source' || (!written.has(k) && this.#declared.get(k) !== 'destination'),
      )
      .map(([, d]) => d);
  }

  /** Datasets declared as destinations, or that no transform reads. */
  destinations(): DatasetRef[] {
    const read = new Set([...this.#transforms.values()].flatMap((t) => t.inputs));
    return [...this.#datasets.entries()]
      .filter(([k]) => this.#declared.get(k) === 'destination' || (!read.has(k) && this.#declared.get(k) !== 'source'))
      .map(([, d]) => d);
  }

  /** Everything the dataset (or the transform named by a string) depends on, transitively. */
  upstream(of: DatasetRef | string): LineageSlice {
    return this.#walk(of, 'up');
  }

  /** Everything that depends on the dataset (or the transform named by a string), transitively. */
  downstream(of: DatasetRef | string): LineageSlice {
    return this.#walk(of, 'down');
  }

  #walk(of: DatasetRef | string, direction: 'up' | 'down'): LineageSlice {
    const transforms = [...this.#transforms.values()];
    const seenDatasets = new Set<string>();
    const seenTransforms = new Set<string>();
    const out: LineageSlice = { datasets: [], transforms: [] };
    let frontier: string[] = [];
    if (typeof of === 'string') {
      const start = this.#transforms.get(of);
      if (!start) throw new InvalidLineageInputError('transform', 'a transform in the graph', of);
      seenTransforms.add(of);
      frontier = direction === 'up' ? start.inputs : start.outputs;
    } else {
      const k = key(of);
      if (!this.#datasets.has(k)) throw new InvalidLineageInputError('dataset', 'a dataset in the graph', of?.name);
      seenDatasets.add(k);
      frontier = this.#step([k], transforms, direction, seenTransforms, out);
    }
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const k of frontier) {
        if (seenDatasets.has(k)) continue;
        seenDatasets.add(k);
        out.datasets.push(this.#datasets.get(k) as DatasetNode);
        next.push(k);
      }
      frontier = this.#step(next, transforms, direction, seenTransforms, out);
    }
    return out;
  }

  #step(
    datasets: string[],
    transforms: TransformNode[],
    direction: 'up' | 'down',
    seen: Set<string>,
    out: LineageSlice,
  ): string[] {
    const next: string[] = [];
    for (const t of transforms) {
      if (seen.has(t.name)) continue;
      const near = direction === 'up' ? t.outputs : t.inputs;
      if (!datasets.some((k) => near.includes(k))) continue;
      seen.add(t.name);
      out.transforms.push(t.name);
      next.push(...(direction === 'up' ? t.inputs : t.outputs));
    }
    return next;
  }

  /** The source columns an output column is computed from, following mappings through every transform. */
  columnOrigins(dataset: DatasetRef, field: string): InputField[] {
    const result: InputField[] = [];
    const seen = new Set<string>();
    const visit = (ds: DatasetRef, f: string): void => {
      const id = `${key(ds)}\u0000${f}`;
      if (seen.has(id)) return;
      seen.add(id);
      const mappings = [...this.#transforms.values()].flatMap((t) =>
        t.columns.filter((m) => key(m.output) === key(ds) && m.field === f),
      );
      if (mappings.length === 0) {
        result.push({ namespace: ds.namespace, name: ds.name, field: f });
        return;
      }
      for (const m of mappings) for (const s of m.from) visit(s.dataset, s.field);
    };
    const start = this.#datasets.get(key(dataset));
    if (!start) throw new InvalidLineageInputError('dataset', 'a dataset in the graph', dataset?.name);
    const mapped = [...this.#transforms.values()].some((t) =>
      t.columns.some((m) => key(m.output) === key(dataset) && m.field === field),
    );
    if (!mapped) return [];
    visit(dataset, field);
    return result;
  }

  /** @internal For the renderers. */
  snapshot(): {
    datasets: Map<string, DatasetNode>;
    transforms: TransformNode[];
    sources: Set<string>;
    destinations: Set<string>;
  } {
    return {
      datasets: this.#datasets,
      transforms: [...this.#transforms.values()],
      sources: new Set(this.sources().map(key)),
      destinations: new Set(this.destinations().map(key)),
    };
  }

  /** One run per transform (START then COMPLETE by default), with schema and column-lineage facets. */
  toRunEvents(options: GraphEventOptions = {}): RunEvent[] {
    return graphRunEvents(this, options);
  }

  /** One JobEvent per transform: the static lineage, without runs. */
  toJobEvents(options: Omit<GraphEventOptions, 'eventTypes' | 'runId'> = {}): JobEvent[] {
    return graphJobEvents(this, options);
  }

  /** A Mermaid flowchart to paste into Markdown. */
  toMermaid(options?: RenderOptions): string {
    return toMermaid(this, options);
  }

  /** A Graphviz DOT digraph (`dot -Tsvg`). */
  toDot(options?: RenderOptions): string {
    return toDot(this, options);
  }
}
