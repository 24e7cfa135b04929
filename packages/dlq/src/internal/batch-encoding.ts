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

/**
 * The batch as ONE JSON document for `json_to_recordset`, written by one native `JSON.stringify`: the server
 * parses it once, and the records are embedded as JSON values rather than escaped again inside a text array.
 */
export function pgBatchDocument(rows: readonly CapturedRow[], stackHash: readonly (string | null)[]): string {
  const isoCache = new Map<number, string>();
  const iso = (ms: number): string => {
    let text = isoCache.get(ms);
    if (text === undefined) {
      text = new Date(ms).toISOString();
      isoCache.set(ms, text);
    }
    return text;
  };
  const doc = new Array<object>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as CapturedRow;
    doc[i] = {
      k: r.key,
      p: r.pipeline,
      s: r.step,
      r: r.runId,
      src: r.source,
      rec: r.record === undefined ? null : r.record,
      ec: r.errorClass,
      eco: r.errorCode,
      em: r.errorMessage,
      sh: stackHash[i],
      ek: r.errorKind,
      er: r.errorReason,
      a: r.attempt,
      c: r.count,
      ff: iso(r.firstFailedAt),
      lf: iso(r.failedAt),
    };
  }
  return JSON.stringify(doc);
}
