import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CapabilityError, UnsupportedClientError } from '../errors.ts';
import type { CopySource, CopyStreamsModule, QueryResult, SqlClientKind } from './types.ts';

// Structural shapes of the clients we accept, so core never imports pg or PGlite at run time.
interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}
interface PgPoolClientLike extends PgQueryable {
  release(err?: Error | boolean): void;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  off?(event: 'error', listener: (error: Error) => void): unknown;
}
interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgPoolClientLike>;
  totalCount: number;
}
interface PGliteQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
  exec(text: string): Promise<unknown>;
}
interface PGliteLike extends PGliteQueryable {
  transaction<T>(fn: (tx: PGliteQueryable) => Promise<T>): Promise<T>;
}

/** What a connection (or a connection's worth of state) can do. */
export interface Runner {
  query(text: string, params?: readonly unknown[]): Promise<QueryResult<unknown>>;
  exec(script: string): Promise<void>;
  copyFrom(copySql: string, source: CopySource): Promise<number>;
  copyTo(copySql: string): AsyncIterable<Uint8Array>;
}

/** A connection held for one transaction; `finish` commits or rolls back and gives it back. */
export interface Session {
  runner: Runner;
  finish(outcome: 'commit' | 'rollback', error?: unknown): Promise<void>;
}

export interface Driver {
  kind: SqlClientKind;
  copy: boolean;
  root: Runner;
  /** A dedicated connection with a transaction begun by `beginSql`. */
  begin(beginSql: string): Promise<Session>;
}

const isFunction = (value: unknown): boolean => typeof value === 'function';

function pgRunner(client: PgQueryable, copyStreams: CopyStreamsModule | undefined): Runner {
  const raw = client as unknown as { query(submittable: unknown): NodeJS.ReadWriteStream & { rowCount?: number } };
  return {
    async query(text, params) {
      const result = await client.query(text, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(script) {
      await client.query(script);
    },
    async copyFrom(copySql, source) {
      if (!copyStreams) throw noCopy();
      const stream = raw.query(copyStreams.from(copySql));
      await pipeline(Readable.from(source, { objectMode: false }), stream);
      return Number(stream.rowCount ?? 0);
    },
    async *copyTo(copySql) {
      if (!copyStreams) throw noCopy();
      yield* raw.query(copyStreams.to(copySql)) as unknown as AsyncIterable<Uint8Array>;
    },
  };
}

function noCopy(): CapabilityError {
  return new CapabilityError('COPY', 'pass the pg-copy-streams module: createSqlClient(pool, { copyStreams })');
}

// pg-pool removes its idle 'error' listener while a connection is checked out, and node-postgres emits 'error'
// when the backend dies (pg_terminate_backend, a server restart). With no listener that event would crash the
// process; the failure already reaches the caller through the pending query, so the listener only records it.
const ignoreConnectionError = (): void => {};

interface Checkout {
  connection: PgPoolClientLike;
  /** Returns the connection to the pool, or destroys it when given an error. */
  release(err?: Error | boolean): void;
}

/** Checks a connection out of the pool with an 'error' listener attached until it is released. */
async function checkout(pool: PgPoolLike): Promise<Checkout> {
  const connection = await pool.connect();
  connection.on?.('error', ignoreConnectionError);
  return {
    connection,
    release(err) {
      connection.off?.('error', ignoreConnectionError);
      connection.release(err);
    },
  };
}

/** Runs `fn` on a pooled connection, destroying it (not returning it) if `fn` failed. */
function pooled(pool: PgPoolLike, copyStreams: CopyStreamsModule | undefined): Runner {
  const direct = pgRunner(pool, copyStreams);
  const withConnection = async <T>(fn: (runner: Runner) => Promise<T>): Promise<T> => {
    const { connection, release } = await checkout(pool);
    try {
      const result = await fn(pgRunner(connection, copyStreams));
      release();
      return result;
    } catch (error) {
      release(error instanceof Error ? error : true);
      throw error;
    }
  };
  return {
    query: direct.query,
    exec: direct.exec,
    copyFrom: (copySql, source) => withConnection((runner) => runner.copyFrom(copySql, source)),
    async *copyTo(copySql) {
      const { connection, release } = await checkout(pool);
      let failed: unknown;
      try {
        yield* pgRunner(connection, copyStreams).copyTo(copySql);
      } catch (error) {
        failed = error;
        throw error;
      } finally {
        release(failed === undefined ? undefined : true);
      }
    },
  };
}

function pgPoolDriver(pool: PgPoolLike, copyStreams: CopyStreamsModule | undefined): Driver {
  return {
    kind: 'pg-pool',
    copy: copyStreams !== undefined,
    root: pooled(pool, copyStreams),
    async begin(beginSql) {
      const { connection, release } = await checkout(pool);
      const runner = pgRunner(connection, copyStreams);
      try {
        await runner.exec(beginSql);
      } catch (error) {
        release(true);
        throw error;
      }
      return {
        runner,
        async finish(outcome) {
          try {
            await runner.exec(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
            release();
          } catch (error) {
            // A connection whose COMMIT/ROLLBACK failed is in an unknown state: destroy it.
            release(error instanceof Error ? error : true);
            throw error;
          }
        },
      };
    },
  };
}

/** A single connection runs one transaction at a time; later ones wait their turn. */
function pgClientDriver(client: PgQueryable, copyStreams: CopyStreamsModule | undefined): Driver {
  const runner = pgRunner(client, copyStreams);
  let queue: Promise<void> = Promise.resolve();
  return {
    kind: 'pg-client',
    copy: copyStreams !== undefined,
    root: runner,
    async begin(beginSql) {
      let unlock!: () => void;
      const previous = queue;
      queue = new Promise<void>((resolve) => {
        unlock = resolve;
      });
      await previous;
      try {
        await runner.exec(beginSql);
      } catch (error) {
        unlock();
        throw error;
      }
      return {
        runner,
        async finish(outcome) {
          try {
            await runner.exec(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
          } finally {
            unlock();
          }
        },
      };
    },
  };
}

function pgliteRunner(db: PGliteQueryable): Runner {
  return {
    async query(text, params) {
      const result = await db.query(text, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    },
    async exec(script) {
      await db.exec(script);
    },
    copyFrom: () => Promise.reject(new CapabilityError('COPY', 'PGlite has no COPY FROM STDIN stream')),
    copyTo: () => {
      throw new CapabilityError('COPY', 'PGlite has no COPY TO STDOUT stream');
    },
  };
}

const ROLLBACK = Symbol('rollback');

/** PGlite serialises access itself; a session keeps its `transaction()` callback open until `finish`. */
function pgliteDriver(db: PGliteLike): Driver {
  return {
    kind: 'pglite',
    copy: false,
    root: pgliteRunner(db),
    begin(beginSql) {
      return new Promise<Session>((resolveSession, rejectSession) => {
        let settle!: (outcome: 'commit' | 'rollback') => void;
        const done = db
          .transaction(async (tx) => {
            // PGlite has already issued BEGIN; apply isolation/read-only settings of beginSql, if any.
            const settings = beginSql.replace(/^BEGIN\s*/i, '');
            if (settings) await tx.exec(`SET TRANSACTION ${settings}`);
            const outcome = await new Promise<'commit' | 'rollback'>((resolve) => {
              settle = resolve;
              resolveSession({ runner: pgliteRunner(tx), finish });
            });
            if (outcome === 'rollback') throw ROLLBACK;
          })
          .catch((error: unknown) => {
            if (error !== ROLLBACK) throw error;
          });
        const finish = async (outcome: 'commit' | 'rollback'): Promise<void> => {
          settle(outcome);
          await done;
        };
        done.catch(rejectSession);
      });
    },
  };
}

/** Recognises the user's client by its shape and returns the matching driver. */
export function driverFor(client: unknown, copyStreams: CopyStreamsModule | undefined): Driver {
  if (typeof client !== 'object' || client === null) throw new UnsupportedClientError(client);
  const candidate = client as Record<string, unknown>;
  if (isFunction(candidate.exec) && isFunction(candidate.transaction) && isFunction(candidate.query)) {
    return pgliteDriver(client as PGliteLike);
  }
  if (!isFunction(candidate.query)) throw new UnsupportedClientError(client);
  if (isFunction(candidate.connect) && typeof candidate.totalCount === 'number') {
    return pgPoolDriver(client as PgPoolLike, copyStreams);
  }
  if (isFunction(candidate.release) || isFunction(candidate.connect)) {
    return pgClientDriver(client as PgQueryable, copyStreams);
  }
  throw new UnsupportedClientError(client);
}
