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

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value for COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string) : value;
}

function copyNullable(value: string | null): string {
  return value === null ? '\\N' : copyText(value);
}

/** JSON text has no raw control characters, so only its backslashes need doubling. */
function copyJson(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null';
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/**
 * The batch as COPY text rows in the staging table's column order, yielded in chunks of about 64 kB so the
 * server parses one chunk while the next is encoded.
 */
export function* copyRows(rows: readonly CapturedRow[], stackHash: readonly (string | null)[]): Generator<string> {
  let lastMs = Number.NaN;
  let lastIso = '';
  const iso = (ms: number): string => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };
  let chunk = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as CapturedRow;
    chunk += `${copyText(r.key)}\t${copyText(r.pipeline)}\t${copyText(r.step)}\t${copyNullable(r.runId)}\t${
      r.source === null ? '\\N' : copyJson(r.source)
    }\t${copyJson(r.record)}\t${copyText(r.errorClass)}\t${copyNullable(r.errorCode)}\t${copyText(r.errorMessage)}\t${
      stackHash[i] ?? '\\N'
    }\t${r.errorKind}\t${copyText(r.errorReason)}\t${r.attempt}\t${r.count}\t${iso(r.firstFailedAt)}\t${iso(r.failedAt)}\n`;
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}
