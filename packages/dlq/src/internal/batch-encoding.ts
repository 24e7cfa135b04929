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

/** One column of a PostgreSQL send: its name in the statement, how it is read there, and its value for a row. */
export interface PgSendColumn {
  name: string;
  /** `text` (read with `json_array_elements_text`, then cast), or `json` (an element kept as a JSON value). */
  kind: 'text' | 'json';
  /** The SQL type a text column is cast to. */
  type?: string;
  value: (row: CapturedRow, stackHash: string | null, iso: (ms: number) => string) => unknown;
}

/** The columns of a send, in the order of the statement's `ROWS FROM` and of `pgBatchColumns`' arrays. */
export const PG_SEND_COLUMNS: readonly PgSendColumn[] = [
  { name: 'k', kind: 'text', value: (row) => row.key },
  { name: 'p', kind: 'text', value: (row) => row.pipeline },
  { name: 's', kind: 'text', value: (row) => row.step },
  { name: 'r', kind: 'text', value: (row) => row.runId },
  { name: 'src', kind: 'json', value: (row) => row.source },
  { name: 'rec', kind: 'json', value: (row) => (row.record === undefined ? null : row.record) },
  { name: 'ec', kind: 'text', value: (row) => row.errorClass },
  { name: 'eco', kind: 'text', value: (row) => row.errorCode },
  { name: 'em', kind: 'text', value: (row) => row.errorMessage },
  { name: 'sh', kind: 'text', value: (_row, stackHash) => stackHash },
  { name: 'ek', kind: 'text', value: (row) => row.errorKind },
  { name: 'er', kind: 'text', value: (row) => row.errorReason },
  { name: 'a', kind: 'text', type: 'int', value: (row) => row.attempt },
  { name: 'c', kind: 'text', type: 'int', value: (row) => row.count },
  { name: 'ff', kind: 'text', type: 'timestamptz', value: (row, _hash, iso) => iso(row.firstFailedAt) },
  { name: 'lf', kind: 'text', type: 'timestamptz', value: (row, _hash, iso) => iso(row.failedAt) },
];

/**
 * The batch as one JSON array per column (`PG_SEND_COLUMNS`), each written by one native `JSON.stringify`.
 * PostgreSQL reads them side by side with `json_array_elements` (`ROWS FROM`): each array is scanned once, with no
 * per-row object to take apart (`json_to_recordset` builds a hash table for every row: 2.5x the server time for
 * the same 5,000 entries), and records stay JSON values rather than strings escaped again.
 */
export function pgBatchColumns(rows: readonly CapturedRow[], stackHash: readonly (string | null)[]): string[] {
  const isoCache = new Map<number, string>();
  const iso = (ms: number): string => {
    let text = isoCache.get(ms);
    if (text === undefined) {
      text = new Date(ms).toISOString();
      isoCache.set(ms, text);
    }
    return text;
  };
  return PG_SEND_COLUMNS.map(({ value }) => {
    const values = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = value(rows[i] as CapturedRow, stackHash[i] ?? null, iso);
    return JSON.stringify(values);
  });
}
