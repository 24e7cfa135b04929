import { decodeValue } from '../codec.ts';
import type { DeadLetterEntry } from '../types.ts';
import type { CapturedRow } from './capture.ts';
import { entryOf, type RawEntry } from './rows.ts';

/**
 * How a Redis entry is laid out (see redis-scripts.ts): the fields a claim filters on (pipeline, step, run id,
 * error code, times, state) are separate fields; the captured record and error are one `data` blob. The entry is
 * its creation message in the stream (`e` '', `k` key, `h` head, `d` data), overlaid with its hash `e:<id>` (the
 * fields changed since).
 */

/**
 * The stored fields of an entry: those its creation message (`XRANGE s <id> <id>`) stands for, overridden by those
 * of its hash. `undefined` when neither holds the entry.
 */
export function storedEntry(
  id: string,
  message: readonly (readonly [string, readonly string[]])[] | null | undefined,
  hash: Record<string, string> | null | undefined,
): Record<string, string> | undefined {
  const fields = message?.[0]?.[1];
  let stored: Record<string, string> | undefined;
  if (fields && fields[0] === 'e' && fields[1] === '') {
    const m: Record<string, string> = {};
    for (let i = 2; i < fields.length; i += 2) m[fields[i] as string] = fields[i + 1] as string;
    if (m.h !== undefined) {
      const [pipeline, step, runId, errorCode, count, first, last, updated] = JSON.parse(m.h) as string[];
      stored = {
        state: 'pending',
        idempotency_key: m.k as string,
        pipeline: pipeline as string,
        step: step as string,
        run_id: runId as string,
        error_code: errorCode as string,
        failure_count: count as string,
        first_failed_at: first as string,
        last_failed_at: last as string,
        updated_at: updated as string,
        data: m.d as string,
        redrive_count: '0',
        msg: id,
      };
    }
  }
  const merged = hash ? { ...stored, ...hash } : stored;
  return merged?.state === undefined ? undefined : merged;
}

/** The stack hash at the head of a `data` blob, read without decoding the record. */
export function stackHashOf(data: string | undefined): string | undefined {
  return data ? /^\["([A-Za-z0-9_-]+)"/.exec(data)?.[1] : undefined;
}

/**
 * A lone surrogate, which `JSON.stringify` escapes (`\ud800`) and Lua's cjson refuses, becomes U+FFFD, as in any
 * other argument (UTF-8 cannot hold it either). The escape must not itself follow an escaped backslash.
 */
const LONE_SURROGATE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/**
 * Appends rows as their three script arguments: idempotency key, head and data (see redis-scripts.ts). The record
 * and source are JSON texts already, so the blob is spliced around them, never escaped twice; coordinates and
 * error kinds repeat from row to row, so their JSON is reused while they do.
 */
export class RowEncoder {
  readonly #now: string;
  #coordinates: readonly string[] = [];
  #headStart = '';
  #kinds: readonly string[] = [];
  #errorClass = '';
  #kindReason = '';

  constructor(now: number) {
    this.#now = String(now);
  }

  push(args: string[], r: CapturedRow, stack: string): void {
    const c = this.#coordinates;
    const runId = r.runId ?? '';
    const code = r.errorCode ?? '';
    if (r.pipeline !== c[0] || r.step !== c[1] || runId !== c[2] || code !== c[3]) {
      this.#coordinates = [r.pipeline, r.step, runId, code];
      const text = JSON.stringify(this.#coordinates);
      this.#headStart = (text.includes('\\ud') ? text.replace(LONE_SURROGATE, '$1\\ufffd') : text).slice(0, -1);
    }
    const k = this.#kinds;
    if (r.errorClass !== k[0] || r.errorKind !== k[1] || r.errorReason !== k[2]) {
      this.#kinds = [r.errorClass, r.errorKind, r.errorReason];
      this.#errorClass = JSON.stringify(r.errorClass);
      this.#kindReason = `${JSON.stringify(r.errorKind)},${JSON.stringify(r.errorReason)}`;
    }
    // Counts and epoch-ms times are digits, the stack hash base64url: quoted as they are.
    const head = `${this.#headStart},"${r.count}","${r.firstFailedAt}","${r.failedAt}","${this.#now}"]`;
    const data = `["${stack}",${r.sourceJson ?? 'null'},${r.recordJson},${this.#errorClass},${JSON.stringify(r.errorMessage)},${this.#kindReason},${r.attempt}]`;
    args.push(r.key, head, data);
  }
}

/** An entry from its hash: the `data` blob holds [stack hash, source, record, class, message, kind, reason, attempt]. */
export function fromHash<T>(
  id: string,
  h: Record<string, string>,
  stacks: ReadonlyMap<string, string>,
): DeadLetterEntry<T> {
  const [stackHash, source, record, errorClass, message, kind, reason, attempt] = decodeValue<
    [string, Record<string, unknown> | null, T, string, string, string, string, number]
  >(h.data as string);
  const raw = h as unknown as RawEntry;
  return entryOf<T>(
    {
      ...raw,
      id,
      error_class: errorClass,
      error_message: message,
      error_stack: stacks.get(stackHash) ?? null,
      error_kind: kind,
      error_reason: reason,
      attempt,
    },
    record,
    source,
  );
}
