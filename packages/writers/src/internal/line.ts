import type { StagedColumn } from './batch.ts';
import { copyEscape } from './encode.ts';
import { Rejection } from './reject.ts';

/** Encodes one record as a COPY text line and exposes its key text; throws `Rejection` for a refused value. */
export type LineEncoder = (row: Record<string, unknown>, out: { key: string }) => string;

/**
 * Compiles a line encoder specialised to the columns, so every value goes through its own monomorphic call
 * site and no per-row array is built: the hot loop of every COPY. Only validated identifiers (letters, digits,
 * `_`, `$`) and indexes are placed in the generated source, property names through `JSON.stringify`.
 */
export function compileLineEncoder(columns: readonly StagedColumn[], keyNames: readonly string[]): LineEncoder {
  const lines: string[] = ['let v, t, line = "";'];
  const keyParts: string[] = [];
  columns.forEach((column, i) => {
    const read = column.get === undefined ? `row[${JSON.stringify(column.name)}]` : `get[${i}](row)`;
    if (i > 0) lines.push('line += "\\t";');
    lines.push(`v = ${read};`);
    const nullCase = column.nullable
      ? 'line += "\\\\N";'
      : `throw new Rejection(${JSON.stringify(`null value in column "${column.name}" violates not-null constraint`)});`;
    const keyIndex = keyNames.indexOf(column.name);
    const keep = keyIndex >= 0 ? ` k${keyIndex} = t;` : '';
    if (keyIndex >= 0) keyParts[keyIndex] = `k${keyIndex}`;
    lines.push(
      `if (v === null || v === undefined) { ${nullCase} } else { t = enc[${i}](v);${keep} line += ${column.needsEscape ? 'esc(t)' : 't'}; }`,
    );
  });
  lines.push(`out.key = ${keyParts.length === 0 ? '""' : keyParts.join(' + "\\u0001" + ')};`);
  lines.push('return line + "\\n";');
  const declareKeys = keyParts.length > 0 ? `let ${keyParts.join(', ')};` : '';
  const source = `return function encodeLine(row, out) { ${declareKeys} ${lines.join('\n')} };`;
  const factory = new Function('enc', 'get', 'esc', 'Rejection', source) as (
    enc: readonly ((value: unknown) => string)[],
    get: readonly (((row: Record<string, unknown>) => unknown) | undefined)[],
    esc: (value: string) => string,
    rejection: typeof Rejection,
  ) => LineEncoder;
  return factory(
    columns.map((c) => c.encode),
    columns.map((c) => c.get),
    copyEscape,
    Rejection,
  );
}
