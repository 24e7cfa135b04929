import { InvalidOptionError } from '../errors.ts';
import { type Driver, driverFor, type Runner } from './drivers.ts';
import type {
  CopySource,
  CopyStreamsModule,
  QueryResult,
  SqlCapabilities,
  SqlClient,
  SqlClientKind,
  StreamOptions,
  TransactionOptions,
} from './types.ts';

export interface CreateSqlClientOptions {
  /** The `pg-copy-streams` module, to enable the COPY fast path on node-postgres clients. */
  copyStreams?: CopyStreamsModule;
}

const ISOLATION_LEVELS = new Set(['read committed', 'repeatable read', 'serializable']);

function beginStatement(options: TransactionOptions | undefined): string {
  let sql = 'BEGIN';
  if (options?.isolation !== undefined) {
    if (!ISOLATION_LEVELS.has(options.isolation)) {
      throw new InvalidOptionError('isolation', `one of ${[...ISOLATION_LEVELS].join(', ')}`, options.isolation);
    }
    sql += ` ISOLATION LEVEL ${options.isolation.toUpperCase()}`;
  }
  if (options?.readOnly) sql += ' READ ONLY';
  return sql;
}

let cursorSequence = 0;

class AdaptedSqlClient implements SqlClient {
  readonly kind: SqlClientKind;
  readonly capabilities: SqlCapabilities;
  readonly inTransaction: boolean;
  readonly #driver: Driver;
  readonly #runner: Runner;
  #savepoints = 0;

  constructor(driver: Driver, runner: Runner, inTransaction: boolean) {
    this.kind = driver.kind;
    this.capabilities = Object.freeze({ copy: driver.copy });
    this.inTransaction = inTransaction;
    this.#driver = driver;
    this.#runner = runner;
  }

  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.#runner.query(text, params) as Promise<QueryResult<Row>>;
  }

  exec(script: string): Promise<void> {
    return this.#runner.exec(script);
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.inTransaction) return this.#savepoint(fn);
    const session = await this.#driver.begin(beginStatement(options));
    let result: T;
    try {
      result = await fn(new AdaptedSqlClient(this.#driver, session.runner, true));
    } catch (error) {
      await session.finish('rollback', error).catch(() => {
        // The original failure matters more than a failed rollback on a connection that is being discarded.
      });
      throw error;
    }
    await session.finish('commit');
    return result;
  }

  async #savepoint<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const name = `pw_sp_${++this.#savepoints}`;
    await this.#runner.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.#runner.exec(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.#runner.exec(`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }

  async *stream<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: StreamOptions,
  ): AsyncIterable<Row[]> {
    const batchSize = options?.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidOptionError('batchSize', 'a positive integer', batchSize);
    }
    if (this.inTransaction) {
      yield* this.#cursor<Row>(this.#runner, text, params, batchSize);
      return;
    }
    // A cursor lives in a transaction; hold one on a dedicated connection for as long as the caller iterates.
    const session = await this.#driver.begin('BEGIN READ ONLY');
    let outcome: 'commit' | 'rollback' = 'rollback';
    try {
      yield* this.#cursor<Row>(session.runner, text, params, batchSize);
      outcome = 'commit';
    } finally {
      await session.finish(outcome);
    }
  }

  async *#cursor<Row>(
    runner: Runner,
    text: string,
    params: readonly unknown[] | undefined,
    batchSize: number,
  ): AsyncIterable<Row[]> {
    const cursor = `pw_cursor_${++cursorSequence}`;
    await runner.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`, params);
    try {
      for (;;) {
        const { rows } = await runner.query(`FETCH FORWARD ${batchSize} FROM ${cursor}`);
        if (rows.length > 0) yield rows as Row[];
        if (rows.length < batchSize) break;
      }
    } finally {
      await runner.exec(`CLOSE ${cursor}`).catch(() => {
        // The transaction may already be aborted; ending it closes the cursor anyway.
      });
    }
  }

  copyFrom(copySql: string, source: CopySource): Promise<number> {
    return this.#runner.copyFrom(copySql, source);
  }

  copyTo(copySql: string): AsyncIterable<Uint8Array> {
    return this.#runner.copyTo(copySql);
  }
}

/**
 * Adapts the user's `pg.Pool`, `pg.Client`, `pg.PoolClient` or PGlite instance. Nothing is connected or closed
 * behind the user's back: the adapter borrows pooled connections only for the duration of a call.
 */
export function createSqlClient(client: unknown, options: CreateSqlClientOptions = {}): SqlClient {
  if (client instanceof AdaptedSqlClient) return client;
  const driver = driverFor(client, options.copyStreams);
  return new AdaptedSqlClient(driver, driver.root, false);
}
