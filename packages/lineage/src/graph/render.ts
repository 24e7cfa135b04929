import type { LineageGraph } from './graph.ts';

export interface RenderOptions {
  /** Show column mappings (Mermaid: edge labels; DOT: column-to-column edges between table ports). @default true */
  columns?: boolean;
  /** Layout direction. @default 'LR' */
  direction?: 'LR' | 'TB';
}

// Mermaid labels: quotes and angle brackets as entities, so names cannot break the syntax.
function mermaidText(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\|/g, '#124;');
}

function dotText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function htmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function ids(graph: LineageGraph): {
  snap: ReturnType<LineageGraph['snapshot']>;
  datasetId: Map<string, string>;
  transformId: Map<string, string>;
} {
  const snap = graph.snapshot();
  const datasetId = new Map([...snap.datasets.keys()].map((k, i) => [k, `d${i}`]));
  const transformId = new Map(snap.transforms.map((t, i) => [t.name, `t${i}`]));
  return { snap, datasetId, transformId };
}

const refKey = (ref: { namespace: string; name: string }): string => `${ref.namespace}\u0000${ref.name}`;

/** A Mermaid flowchart: datasets as cylinders (sources and destinations styled), transforms as boxes. */
export function toMermaid(graph: LineageGraph, options: RenderOptions = {}): string {
  const { snap, datasetId, transformId } = ids(graph);
  const lines = [`flowchart ${options.direction ?? 'LR'}`];
  for (const [k, d] of snap.datasets) {
    lines.push(`  ${datasetId.get(k)}[("${mermaidText(d.name)}<br/>${mermaidText(d.namespace)}")]`);
  }
  for (const t of snap.transforms) lines.push(`  ${transformId.get(t.name)}["${mermaidText(t.name)}"]`);
  for (const t of snap.transforms) {
    const tid = transformId.get(t.name);
    for (const k of t.inputs) lines.push(`  ${datasetId.get(k)} --> ${tid}`);
    for (const k of t.outputs) {
      const mapped = options.columns === false ? [] : t.columns.filter((m) => refKey(m.output) === k);
      const label = mapped
        .map((m) => `${m.field} ← ${m.from.map((s) => `${s.dataset.name.split('.').pop()}.${s.field}`).join(', ')}`)
        .join('<br/>');
      lines.push(
        label
          ? `  ${tid} -->|"${mermaidText(label).replace(/#lt;br\/#gt;/g, '<br/>')}"| ${datasetId.get(k)}`
          : `  ${tid} --> ${datasetId.get(k)}`,
      );
    }
  }
  lines.push('  classDef source fill:#e8f4fd,stroke:#1e6fb8');
  lines.push('  classDef destination fill:#e9f7ef,stroke:#1e8449');
  lines.push('  classDef transform fill:#fdf2e9,stroke:#b9770e');
  const src = [...snap.sources].map((k) => datasetId.get(k));
  const dst = [...snap.destinations].filter((k) => !snap.sources.has(k)).map((k) => datasetId.get(k));
  if (src.length > 0) lines.push(`  class ${src.join(',')} source`);
  if (dst.length > 0) lines.push(`  class ${dst.join(',')} destination`);
  if (snap.transforms.length > 0) lines.push(`  class ${[...transformId.values()].join(',')} transform`);
  return `${lines.join('\n')}\n`;
}

/** A Graphviz DOT digraph; with columns, datasets are tables with one port per column and column edges. */
export function toDot(graph: LineageGraph, options: RenderOptions = {}): string {
  const { snap, datasetId, transformId } = ids(graph);
  const columns = options.columns !== false;
  const lines = [
    'digraph lineage {',
    `  rankdir=${options.direction ?? 'LR'};`,
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [color="#555555"];',
  ];
  const portOf = new Map<string, Map<string, string>>();
  for (const [k, d] of snap.datasets) {
    const id = datasetId.get(k) as string;
    const fill = snap.sources.has(k) ? '#e8f4fd' : snap.destinations.has(k) ? '#e9f7ef' : '#ffffff';
    const fieldNames = new Set<string>(d.fields?.map((f) => f.name) ?? []);
    if (columns) {
      for (const t of snap.transforms) {
        for (const m of t.columns) {
          if (refKey(m.output) === k) fieldNames.add(m.field);
          for (const s of m.from) if (refKey(s.dataset) === k) fieldNames.add(s.field);
        }
      }
    }
    if (columns && fieldNames.size > 0) {
      const ports = new Map([...fieldNames].map((f, i) => [f, `c${i}`]));
      portOf.set(k, ports);
      const rows = [...ports].map(([f, p]) => `<tr><td port="${p}" align="left">${htmlText(f)}</td></tr>`).join('');
      lines.push(
        `  ${id} [shape=plain, label=<<table border="1" cellborder="0" cellspacing="0" bgcolor="${fill}"><tr><td><b>${htmlText(d.name)}</b><br/><font point-size="9">${htmlText(d.namespace)}</font></td></tr>${rows}</table>>];`,
      );
    } else {
      lines.push(
        `  ${id} [shape=cylinder, style=filled, fillcolor="${fill}", label="${dotText(`${d.name}\n${d.namespace}`)}"];`,
      );
    }
  }
  for (const t of snap.transforms) {
    lines.push(
      `  ${transformId.get(t.name)} [shape=box, style="rounded,filled", fillcolor="#fdf2e9", label="${dotText(t.name)}"];`,
    );
  }
  for (const t of snap.transforms) {
    const tid = transformId.get(t.name);
    for (const k of t.inputs) lines.push(`  ${datasetId.get(k)} -> ${tid};`);
    for (const k of t.outputs) lines.push(`  ${tid} -> ${datasetId.get(k)};`);
    if (!columns) continue;
    for (const m of t.columns) {
      const outKey = refKey(m.output);
      for (const s of m.from) {
        const inKey = refKey(s.dataset);
        const from = `${datasetId.get(inKey)}:${portOf.get(inKey)?.get(s.field)}`;
        const to = `${datasetId.get(outKey)}:${portOf.get(outKey)?.get(m.field)}`;
        const style = s.type === 'INDIRECT' ? 'dotted' : 'dashed';
        lines.push(`  ${from} -> ${to} [style=${style}, color="#888888", constraint=false];`);
      }
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
