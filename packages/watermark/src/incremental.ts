import { type Clock, InvalidOptionError, type SqlClient, systemClock } from '@pipewright/core';
import { InvalidRecordError, PositionError, UncommittedPageError, UnorderedSourceError } from './errors.ts';
import { canonicalCursor, comparePositions, formatMicros } from './internal/cursor-value.ts';
import { LeaseKeeper } from './internal/lease-keeper.ts';
import type { KeysetPage, KeysetPosition, LeaseOptions } from './keyset/types.ts';
import type { StateStore } from './state/types.ts';

export interface IncrementalOptions<T> {
  /** Field name or accessor of the cursor: a Date, an ISO-8601 string with a zone, or an integer. */
  cursor: string | ((record: T) => unknown);
  /** Field name(s) or accessor of the unique key. */
  key: string | readonly string[] | ((record: T) => readonly unknown[]);
  state: StateStore;
  stateKey: string;
  /** Hold back records whose instant is newer than `clock.now() - lag` ms; they come again next run. @default 0 */
  lag?: number;
  /**
   * The source yields records in ascending `(cursor, key)` order, so every page can checkpoint. Otherwise the
   * position advances only after the last page. @default false
   */
  ordered?: boolean;
  /** Records per page. @default 1000 */
  pageSize?: number;
  /** Receives records whose cursor or key is unusable, with the reason. Without it, such a record throws. */
  onInvalid?: (record: T, error: InvalidRecordError) => void | Promise<void>;
  lease?: LeaseOptions;
  /** The clock `lag` is measured on (use the source's clock if you can) and of leases. @default systemClock */
  clock?: Clock;
}

function accessor<T>(spec: string | ((record: T) => unknown), name: string): (record: T) => unknown {
  if (typeof spec === 'function') return spec;
  if (typeof spec === 'string' && spec.length > 0) return (record) => (record as Record<string, unknown>)[spec];
  throw new InvalidOptionError(name, 'a field name or an accessor function', spec);
}

function keyAccessor<T>(spec: IncrementalOptions<T>['key']): (record: T) => readonly unknown[] {
  if (typeof spec === 'function') return spec;
  const fields = typeof spec === 'string' ? [spec] : spec;
  if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string')) {
    throw new InvalidOptionError('key', 'a field name, an array of field names or an accessor', spec);
  }
  return (record) => fields.map((field) => (record as Record<string, unknown>)[field]);
}

/**
 * Applies the keyset rules to any (async) iterable — an HTTP API, files: skips what the committed position already
 * covers, drops duplicates, holds back records younger than `lag`, and advances the state only through
 * `page.commit()`.
 */
export async function* incremental<T>(
  source: AsyncIterable<T> | Iterable<T>,
  options: IncrementalOptions<T>,
): AsyncGenerator<KeysetPage<T>> {
  const getCursor = accessor(options.cursor, 'cursor');
  const getKey = keyAccessor(options.key);
  const pageSize = options.pageSize ?? 1000;
  const lag = options.lag ?? 0;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new InvalidOptionError('pageSize', 'a positive integer', pageSize);
  if (!Number.isInteger(lag) || lag < 0) throw new InvalidOptionError('lag', 'a non-negative integer of ms', lag);
  if (typeof options.state?.commit !== 'function') throw new InvalidOptionError('state', 'a StateStore', options.state);
  if (typeof options.stateKey !== 'string' || options.stateKey.length === 0) {
    throw new InvalidOptionError('stateKey', 'a non-empty string', options.stateKey);
  }
  const clock = options.clock ?? systemClock;
  const ordered = options.ordered ?? false;
  const keeper = options.lease ? new LeaseKeeper(options.state, clock, options.lease) : undefined;
  if (keeper && options.lease) await keeper.start(options.stateKey, options.lease.owner);

  const invalid = async (record: T, reason: string): Promise<void> => {
    const error = new InvalidRecordError(record, reason);
    if (!options.onInvalid) throw error;
    await options.onInvalid(record, error);
  };

  // With the PostgreSQL store, `tx` puts the position in the caller's transaction, beside the data it wrote.
  const write = async (position: KeysetPosition, tx: SqlClient | undefined): Promise<void> => {
    keeper?.check();
    await options.state.commit(options.stateKey, position, { token: keeper?.lease?.token, tx });
  };

  try {
    const stored = (await options.state.get(options.stateKey))?.position as KeysetPosition | undefined;
    if (stored !== undefined && (typeof stored.cursor !== 'string' || !Array.isArray(stored.key))) {
      throw new PositionError(options.stateKey, `expected { cursor, key }, found ${JSON.stringify(stored)}`);
    }
    const bound = formatMicros(BigInt(clock.now() - lag) * 1000n);
    const seen = ordered ? undefined : new Set<string>();
    let kind: string | undefined;
    let max: KeysetPosition | undefined;
    let rows: T[] = [];
    let index = 0;

    const makePage = (last: boolean): KeysetPage<T> & { done: boolean } => {
      const position = max as KeysetPosition;
      const page = {
        rows,
        position,
        index: index++,
        last,
        done: false,
        async commit(tx?: SqlClient): Promise<void> {
          if (page.done) return;
          // Unordered sources may still hold smaller positions: only the last page may move the state.
          if (ordered || last) await write(position, tx);
          page.done = true;
        },
      };
      rows = [];
      return page;
    };

    let previous: { done: boolean } | undefined;
    const check = (): void => {
      if (previous && !previous.done) throw new UncommittedPageError(options.stateKey);
    };

    for await (const record of source) {
      const cursor = canonicalCursor(getCursor(record));
      if ('error' in cursor) {
        await invalid(record, `cursor ${cursor.error}`);
        continue;
      }
      const keyValues = getKey(record);
      if (keyValues.some((value) => value === null || value === undefined)) {
        await invalid(record, 'a key field is null or missing');
        continue;
      }
      if (kind !== undefined && kind !== cursor.kind) {
        await invalid(record, `cursor is an ${cursor.kind} but earlier records had ${kind} cursors`);
        continue;
      }
      kind = cursor.kind;
      const position: KeysetPosition = { cursor: cursor.text, key: keyValues.map(String) };
      if (stored !== undefined && comparePositions(position, stored) <= 0) continue; // already committed
      if (cursor.kind === 'instant' && cursor.text > bound) continue; // younger than the lag: next run
      if (ordered) {
        const order = max === undefined ? 1 : comparePositions(position, max);
        if (order === 0) continue;
        if (order < 0) throw new UnorderedSourceError(JSON.stringify(max), JSON.stringify(position));
      } else {
        const id = `${position.cursor}\u0000${position.key.join('\u0000')}`;
        if ((seen as Set<string>).has(id)) continue;
        (seen as Set<string>).add(id);
      }
      if (rows.length === pageSize) {
        check();
        const page = makePage(false);
        previous = page;
        yield page;
        check();
        keeper?.check();
      }
      if (max === undefined || comparePositions(position, max) > 0) max = position;
      rows.push(record);
    }
    check();
    if (rows.length > 0) {
      const page = makePage(true);
      previous = page;
      yield page;
      check();
    }
  } finally {
    await keeper?.stop();
  }
}
