import { InvalidOptionError, resolveTable, type SqlClient, systemClock } from '@pipewright/core';
import { PositionError, UncommittedPageError } from '../errors.ts';
import { LeaseKeeper } from '../internal/lease-keeper.ts';
import { type InFlight, waitForInFlight } from './bound.ts';
import { resolveKeysetOptions } from './options.ts';
import { KeysetSql } from './sql.ts';
import type { KeysetOptions, KeysetPage, KeysetPosition } from './types.ts';

type Query = { text: string; params: unknown[] };
type Row = Record<string, unknown>;
/** A page whose end is known and whose rows are being read. */
type Loaded<R> = { position: KeysetPosition; last: boolean; rows: Promise<R[]> };

function asPosition(stateKey: string, value: unknown, keys: number): KeysetPosition | undefined {
  if (value === undefined) return undefined;
  const position = value as KeysetPosition;
  if (
    typeof position?.cursor !== 'string' ||
    !Array.isArray(position.key) ||
    position.key.length !== keys ||
    position.key.some((k) => typeof k !== 'string')
  ) {
    throw new PositionError(
      stateKey,
      `expected { cursor: string, key: string[${keys}] }, found ${JSON.stringify(value)}`,
    );
  }
  return position;
}

/**
 * Yields pages of rows after the committed position, in `(cursor, key)` order, up to an upper bound that no
 * in-flight or lagging transaction can still write below. The state advances only through `page.commit()`.
 *
 * @example
 * for await (const page of keysetPages(sql, { source: { table: 'orders' }, cursor: 'updated_at', key: 'id', state, stateKey: 'orders' })) {
 *   await sql.transaction(async (tx) => { await upsert(tx, page.rows); await page.commit(tx); });
 * }
 */
export async function* keysetPages<R = Row>(sql: SqlClient, options: KeysetOptions): AsyncGenerator<KeysetPage<R>> {
  const o = resolveKeysetOptions(options);
  const q = new KeysetSql(o.source, o.cursor, o.keys);
  q.window = o.window;
  const clock = o.clock ?? systemClock;
  const keeper = o.lease ? new LeaseKeeper(o.state, clock, o.lease) : undefined;
  if (keeper && o.lease) await keeper.start(o.stateKey, o.lease.owner);

  // On a pool each read has a connection of its own; a single connection or a transaction is shared with the caller.
  const pooled = sql.kind === 'pg-pool' && !sql.inTransaction;
  const read = async <T>(query: Query): Promise<T[]> => {
    if (o.statementTimeout === undefined) return (await sql.query<T>(query.text, query.params)).rows;
    return sql.transaction(async (tx) => {
      await tx.query(`SELECT set_config('statement_timeout', $1, true)`, [String(o.statementTimeout)]);
      return (await tx.query<T>(query.text, query.params)).rows;
    });
  };

  let next: Promise<Loaded<R> | undefined> | undefined;
  let committed: KeysetPosition | undefined;
  let pending: KeysetPosition | undefined; // committed by the caller, not yet checkpointed
  let sinceCheckpoint = 0;
  const write = async (position: KeysetPosition, tx?: SqlClient): Promise<void> => {
    keeper?.check();
    await o.state.commit(o.stateKey, position, { token: keeper?.lease?.token, tx });
    pending = undefined;
    sinceCheckpoint = 0;
  };

  try {
    const stored = await o.state.get(o.stateKey);
    let after = asPosition(o.stateKey, stored?.position, o.keys.length);
    committed = after;

    const probe = (await read<Record<string, string>>({ text: q.probe(), params: [...q.userParams] }))[0];
    if (probe === undefined) return;
    if (o.timeZone !== undefined) {
      await sql.query('SELECT now() AT TIME ZONE $1::text', [o.timeZone]).catch((error: unknown) => {
        throw new InvalidOptionError(
          'timeZone',
          `a time zone PostgreSQL knows (${(error as Error).message})`,
          o.timeZone,
        );
      });
    }
    q.setTypes(
      o.cursor,
      probe.c as string,
      o.keys.map((_, i) => probe[`k${i}`] as string),
      o.timeZone,
    );
    if (q.kind === 'integer' && o.lag > 0) {
      throw new InvalidOptionError('lag', '0 for an integer cursor (lag is measured on the clock)', o.lag);
    }

    const waitTables = (o.waitFor ?? (q.table === undefined ? [] : [q.table])).map((t) => resolveTable(t).sql);
    const mode = !o.waitForInFlight ? 'none' : waitTables.length > 0 ? 'tables' : 'fence';
    const [bound] = await read<{ hi: string | null } & InFlight>(q.bound(o.lag, mode, waitTables));
    if (!bound || bound.hi === null) {
      o.onBound?.({ upper: '', windowClosed: false });
      return;
    }
    if (o.onBound) {
      const closed = o.window ? (await read<{ closed: boolean }>(q.windowClosed(bound.hi)))[0]?.closed === true : false;
      o.onBound({ upper: bound.hi, windowClosed: closed });
    }
    await waitForInFlight(sql, bound, systemClock, o.inFlightTimeout, o.pollInterval, o.signal);

    // Finds the next page's end (an index-only probe), then starts reading its rows.
    const load = async (from: KeysetPosition | undefined): Promise<Loaded<R> | undefined> => {
      let last = false;
      let [until] = await read<Record<string, string>>(q.boundary(from, bound.hi as string, o.pageSize, false));
      if (until === undefined) {
        [until] = await read<Record<string, string>>(q.boundary(from, bound.hi as string, o.pageSize, true));
        last = true;
        if (until === undefined) return undefined;
      }
      const position: KeysetPosition = {
        cursor: until.c as string,
        key: o.keys.map((_, i) => until[`k${i}`] as string),
      };
      const rows = read<R>(q.page(from, position));
      rows.catch(() => undefined); // surfaces when awaited; not an unhandled rejection meanwhile
      return { position, last, rows };
    };
    // On a pool, the next page is read on another connection while this one is read and used (at most two pages in
    // memory). A single connection or a transaction runs one statement at a time, so there it is read in turn.
    next = load(after);
    next.catch(() => undefined);

    for (let index = 0; ; index++) {
      o.signal?.throwIfAborted();
      keeper?.check();
      const found = await next;
      next = undefined;
      if (found === undefined) return;
      const { position, last } = found;
      if (pooled && !last) {
        next = load(position);
        next.catch(() => undefined);
      }
      const rows = await found.rows;
      let done = false;
      const page: KeysetPage<R> = {
        rows,
        position,
        index,
        last,
        async commit(tx?: SqlClient): Promise<void> {
          if (done) return;
          sinceCheckpoint++;
          if (last || sinceCheckpoint >= o.checkpointEvery) await write(position, tx);
          else pending = position;
          done = true;
          committed = position;
        },
      };
      yield page;
      if (!done) throw new UncommittedPageError(o.stateKey);
      if (last) return;
      after = position;
      next ??= load(after);
      next.catch(() => undefined);
    }
  } finally {
    // A page read ahead must end before the caller may close its pool; its rows are dropped.
    await next?.then((found) => found?.rows).catch(() => undefined);
    try {
      if (pending !== undefined && pending === committed) await write(pending);
    } finally {
      await keeper?.stop();
    }
  }
}
