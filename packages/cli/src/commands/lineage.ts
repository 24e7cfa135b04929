import { readFile, writeFile } from 'node:fs/promises';
import type { ColumnMapping, DatasetRef, LineageGraph } from '@pipewright/lineage';
import type { Command } from 'commander';
import { CliUsageError, EXIT } from '../errors.ts';
import { act, type Ctx, examples, type Run } from '../internal/context.ts';
import { json } from '../internal/format.ts';

interface EventLike {
  job?: { namespace?: string; name?: string };
  inputs?: DatasetLike[];
  outputs?: DatasetLike[];
}
interface DatasetLike {
  namespace?: string;
  name?: string;
  facets?: { columnLineage?: { fields?: Record<string, { inputFields?: InputFieldLike[] }> } };
}
interface InputFieldLike {
  namespace?: string;
  name?: string;
  field?: string;
}

interface JobAcc {
  inputs: Map<string, DatasetRef>;
  outputs: Map<string, DatasetRef>;
  columns: Map<string, ColumnMapping>;
}

const refKey = (d: { namespace?: string; name?: string }): string => `${d.namespace}\u0000${d.name}`;
const isRef = <T extends { namespace?: string; name?: string }>(d: T | undefined): d is T & DatasetRef =>
  typeof d?.namespace === 'string' && typeof d.name === 'string' && d.namespace !== '' && d.name !== '';

/**
 * Builds the graph from OpenLineage events (run and job events, as the lineage package's fileTransport writes
 * them): one transform per job, with the union of the datasets and column mappings its events name.
 */
export function graphFromEvents(
  Graph: typeof LineageGraph,
  events: readonly EventLike[],
  namespace?: string,
): LineageGraph {
  const jobs = new Map<string, JobAcc>();
  for (const event of events) {
    const name = event.job?.name;
    if (typeof name !== 'string' || name === '') continue;
    if (namespace !== undefined && event.job?.namespace !== namespace) continue;
    const acc = jobs.get(name) ?? { inputs: new Map(), outputs: new Map(), columns: new Map() };
    jobs.set(name, acc);
    for (const d of event.inputs ?? [])
      if (isRef(d)) acc.inputs.set(refKey(d), { namespace: d.namespace, name: d.name });
    for (const d of event.outputs ?? []) {
      if (!isRef(d)) continue;
      const output = { namespace: d.namespace, name: d.name };
      acc.outputs.set(refKey(d), output);
      for (const [field, spec] of Object.entries(d.facets?.columnLineage?.fields ?? {})) {
        const from = (spec.inputFields ?? []).filter(
          (f): f is InputFieldLike & DatasetRef => isRef(f) && typeof f.field === 'string',
        );
        for (const f of from) acc.inputs.set(refKey(f), { namespace: f.namespace, name: f.name });
        acc.columns.set(`${refKey(d)}\u0000${field}`, {
          output,
          field,
          from: from.map((f) => ({ dataset: { namespace: f.namespace, name: f.name }, field: f.field as string })),
        });
      }
    }
  }
  const graph = new Graph(namespace === undefined ? {} : { namespace });
  for (const [name, acc] of jobs) {
    graph.addTransform({
      name,
      inputs: [...acc.inputs.values()],
      outputs: [...acc.outputs.values()],
      columns: [...acc.columns.values()],
    });
  }
  return graph;
}

/** Parses NDJSON; lines that are not JSON objects are reported on stderr (never dropped silently). */
export function parseNdjson(ctx: Ctx, text: string, file: string): EventLike[] {
  const events: EventLike[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const value = JSON.parse(line) as unknown;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) events.push(value as EventLike);
      else ctx.note(`${file}:${i + 1}: not a JSON object; skipped`);
    } catch {
      ctx.note(`${file}:${i + 1}: not valid JSON; skipped`);
    }
  });
  return events;
}

export function registerLineage(lineage: Command, run: Run): void {
  lineage
    .command('graph')
    .description('draw the lineage graph from an NDJSON file of OpenLineage events (the lineage fileTransport)')
    .option('--file <path>', 'NDJSON events (default: $OPENLINEAGE__TRANSPORT__LOG_FILE_PATH)')
    .option('--format <format>', 'mermaid or dot', 'mermaid')
    .option('--out <path>', 'write to this file instead of stdout')
    .option('--namespace <ns>', 'only jobs of this namespace')
    .option('--no-columns', 'leave column mappings out')
    .option('--direction <dir>', 'LR or TB', 'LR')
    .option('--json', 'print the graph as JSON (datasets, jobs with inputs and outputs, sources, destinations)')
    .addHelpText(
      'after',
      examples(
        'pipewright lineage graph --file lineage.ndjson > lineage.mmd',
        'pipewright lineage graph --file lineage.ndjson --format dot --out lineage.dot',
      ),
    )
    .action(
      act(run, async (ctx) => {
        const file = (ctx.opts.file as string | undefined) ?? ctx.io.env.OPENLINEAGE__TRANSPORT__LOG_FILE_PATH;
        if (!file) throw new CliUsageError('No lineage file: pass --file <events.ndjson>');
        const format = String(ctx.opts.format);
        if (format !== 'mermaid' && format !== 'dot')
          throw new CliUsageError(`Expected --format to be mermaid or dot, got "${format}"`);
        const direction = String(ctx.opts.direction);
        if (direction !== 'LR' && direction !== 'TB')
          throw new CliUsageError(`Expected --direction to be LR or TB, got "${direction}"`);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          ctx.note(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          return EXIT.failure;
        }
        const { LineageGraph: Graph, toDot, toMermaid } = await import('@pipewright/lineage');
        const graph = graphFromEvents(Graph, parseNdjson(ctx, text, file), ctx.opts.namespace as string | undefined);
        if (ctx.json) {
          const snap = graph.snapshot();
          const dataset = (k: string) => snap.datasets.get(k);
          ctx.out(
            json({
              datasets: graph.datasets(),
              jobs: snap.transforms.map((t) => ({
                name: t.name,
                inputs: t.inputs.map(dataset),
                outputs: t.outputs.map(dataset),
                columns: t.columns,
              })),
              sources: graph.sources(),
              destinations: graph.destinations(),
            }).trimEnd(),
          );
          return EXIT.ok;
        }
        const options = { columns: ctx.opts.columns !== false, direction: direction as 'LR' | 'TB' };
        const rendered = format === 'dot' ? toDot(graph, options) : toMermaid(graph, options);
        if (typeof ctx.opts.out === 'string') {
          await writeFile(ctx.opts.out, rendered.endsWith('\n') ? rendered : `${rendered}\n`);
          ctx.note(
            `Wrote ${graph.transforms().length} job(s), ${graph.datasets().length} dataset(s) to ${ctx.opts.out}.`,
          );
        } else ctx.out(rendered);
        return EXIT.ok;
      }),
    );
}
