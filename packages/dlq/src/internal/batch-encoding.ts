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

/** JSON-quotes a string, remembering the last one: pipeline, step, class, kind… repeat row after row. */
function memoQuote(): (value: string) => string {
  let lastRaw: string | undefined;
  let lastQuoted = '';
  return (value) => {
    if (value !== lastRaw) {
      lastRaw = value;
      lastQuoted = JSON.stringify(value);
    }
    return lastQuoted;
  };
}

function memoIso(): (ms: number) => string {
  let lastMs = Number.NaN;
  let lastIso = '';
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };
}

/**
 * The batch as ONE JSON document for `json_to_recordset`: the server parses it once, and the records (already
 * JSON) are embedded as values rather than escaped again inside a text array.
 */
export function pgBatchDocument(rows: readonly CapturedRow[], stackIndex: Int32Array): string {
  const pipeline = memoQuote();
  const step = memoQuote();
  const run = memoQuote();
  const errorClass = memoQuote();
  const code = memoQuote();
  const kind = memoQuote();
  const reason = memoQuote();
  const [first, last] = [memoIso(), memoIso()];
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as CapturedRow;
    parts[i] =
      `{"k":${JSON.stringify(r.key)},"p":${pipeline(r.pipeline)},"s":${step(r.step)},` +
      `"r":${r.runId === null ? 'null' : run(r.runId)},"src":${r.source ?? 'null'},"rec":${r.record},` +
      `"ec":${errorClass(r.errorClass)},"eco":${r.errorCode === null ? 'null' : code(r.errorCode)},` +
      `"em":${JSON.stringify(r.errorMessage)},"si":${stackIndex[i] || 'null'},"ek":${kind(r.errorKind)},` +
      `"er":${reason(r.errorReason)},"a":${r.attempt},"c":${r.count},"ff":"${first(r.firstFailedAt)}",` +
      `"lf":"${last(r.failedAt)}"}`;
  }
  return `[${parts.join(',')}]`;
}
