import type { CapturedRow } from './capture.ts';

/**
 * Stack traces are the largest part of a captured error and usually identical across a batch (same throw
 * site), so a batch carries each distinct stack once and rows refer to it by 1-based index (0 = none).
 */
export function dedupeStacks(rows: readonly CapturedRow[]): { stacks: string[]; index: Int32Array } {
  const stacks: string[] = [];
  const seen = new Map<string, number>();
  const index = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const stack = (rows[i] as CapturedRow).errorStack;
    if (stack === null) continue;
    let slot = seen.get(stack);
    if (slot === undefined) {
      slot = stacks.push(stack);
      seen.set(stack, slot);
    }
    index[i] = slot;
  }
  return { stacks, index };
}

const q = JSON.stringify;

/**
 * The batch as ONE JSON document for `json_to_recordset`: the server parses it once, and the records (already
 * JSON) are embedded as values rather than escaped again inside a text array.
 */
export function pgBatchDocument(rows: readonly CapturedRow[], stackIndex: Int32Array): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as CapturedRow;
    parts[i] =
      `{"k":${q(r.key)},"p":${q(r.pipeline)},"s":${q(r.step)},"r":${r.runId === null ? 'null' : q(r.runId)},` +
      `"src":${r.source ?? 'null'},"rec":${r.record},"ec":${q(r.errorClass)},` +
      `"eco":${r.errorCode === null ? 'null' : q(r.errorCode)},"em":${q(r.errorMessage)},` +
      `"si":${stackIndex[i] || 'null'},"ek":${q(r.errorKind)},"er":${q(r.errorReason)},"a":${r.attempt},` +
      `"c":${r.count},"ff":"${new Date(r.firstFailedAt).toISOString()}","lf":"${new Date(r.failedAt).toISOString()}"}`;
  }
  return `[${parts.join(',')}]`;
}
