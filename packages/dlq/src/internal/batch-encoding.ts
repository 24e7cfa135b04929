import { createHash } from 'node:crypto';
import type { CapturedRow } from './capture.ts';

/**
 * Stack traces are the largest part of a captured error and nearly always repeat (same throw site), so they are
 * stored once, content-addressed, and entries keep only the hash. A batch carries each distinct stack once.
 */
export function dedupeStacks(rows: readonly CapturedRow[]): {
  hashes: string[];
  stacks: string[];
  rowHash: (string | null)[];
} {
  const hashes: string[] = [];
  const stacks: string[] = [];
  const seen = new Map<string, string>();
  const rowHash = new Array<string | null>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const stack = (rows[i] as CapturedRow).errorStack;
    if (stack === null) {
      rowHash[i] = null;
      continue;
    }
    let hash = seen.get(stack);
    if (hash === undefined) {
      hash = createHash('sha256').update(stack).digest('base64url').slice(0, 27);
      seen.set(stack, hash);
      hashes.push(hash);
      stacks.push(stack);
    }
    rowHash[i] = hash;
  }
  return { hashes, stacks, rowHash };
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
export function pgBatchDocument(rows: readonly CapturedRow[], stackHash: readonly (string | null)[]): string {
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
      `"em":${JSON.stringify(r.errorMessage)},"sh":${stackHash[i] === null ? 'null' : `"${stackHash[i]}"`},"ek":${kind(r.errorKind)},` +
      `"er":${reason(r.errorReason)},"a":${r.attempt},"c":${r.count},"ff":"${first(r.firstFailedAt)}",` +
      `"lf":"${last(r.failedAt)}"}`;
  }
  return `[${parts.join(',')}]`;
}
