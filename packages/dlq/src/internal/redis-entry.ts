import { decodeValue } from '../codec.ts';
import type { DeadLetterEntry } from '../types.ts';
import type { CapturedRow } from './capture.ts';
import { entryOf, type RawEntry } from './rows.ts';

/**
 * How a Redis entry is laid out: the fields a claim filters on (pipeline, step, run id, error code, times, state)
 * are hash fields; the captured record and error are one `data` blob.
 */

/** The stack hash at the head of a `data` blob, read without decoding the record. */
export function stackHashOf(data: string | undefined): string | undefined {
  return data ? /^\["([A-Za-z0-9_-]+)"/.exec(data)?.[1] : undefined;
}

export function pushRow(args: (string | number)[], r: CapturedRow, stack: string): void {
  // One native stringify per entry; the record travels as a JSON value inside the blob, never escaped twice.
  const data = JSON.stringify([
    stack,
    r.source,
    r.record ?? null,
    r.errorClass,
    r.errorMessage,
    r.errorKind,
    r.errorReason,
    r.attempt,
  ]);
  args.push(r.key, r.pipeline, r.step, r.runId ?? '', r.errorCode ?? '', data, r.count, r.firstFailedAt, r.failedAt);
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
