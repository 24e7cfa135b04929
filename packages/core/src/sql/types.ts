/** One result of `SqlClient.query`. */
export interface QueryResult<Row> {
  rows: Row[];
  /** Rows returned or affected by the statement. */
  rowCount: number;
}

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  isolation?: IsolationLevel;
  readOnly?: boolean;
}

export interface StreamOptions {
  /** Rows fetched per round trip (and the most held in memory). @default 1000 */
  batchSize?: number;
}

/** A source of COPY data: strings or bytes in COPY text/CSV/binary format. */
export type CopySource = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

export interface SqlCapabilities {
  /** `copyFrom`/`copyTo` are available (node-postgres with pg-copy-streams). */
  copy: boolean;
}

export type SqlClientKind = 'pg-pool' | 'pg-client' | 'pglite';

/**
 * One adapter over the user's client. Every value goes in `params`; identifiers come from `quoteIdentifier`.
 * Inside `transaction(fn)`, `fn` receives a client bound to that transaction; calling `transaction` on it
 * opens a savepoint.
 */
export interface SqlClient {
  readonly kind: SqlClientKind;
  readonly capabilities: SqlCapabilities;
  /** True for the client handed to a `transaction` callback. */
  readonly inTransaction: boolean;
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Runs a parameterless script that may hold several statements (migrations). */
  exec(script: string): Promise<void>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Reads a large result in batches through a server-side cursor, holding at most `batchSize` rows. */
  stream<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: StreamOptions,
  ): AsyncIterable<Row[]>;
  /** `COPY … FROM STDIN`: streams `source` to the server and returns the row count. Needs `capabilities.copy`. */
  copyFrom(copySql: string, source: CopySource): Promise<number>;
  /** `COPY … TO STDOUT`: yields the server's output in chunks. Needs `capabilities.copy`. */
  copyTo(copySql: string): AsyncIterable<Uint8Array>;
}

/** The shape of the `pg-copy-streams` module; pass it to enable COPY: `createSqlClient(pool, { copyStreams })`. */
export interface CopyStreamsModule {
  from(text: string): unknown;
  to(text: string): unknown;
}
