import { InvalidOptionError, type SqlClient } from '@pipewright/core';
import { PositionError, UncommittedPageError } from '../errors.ts';
import type { StateStore } from '../state/types.ts';
import { compareLsn } from './slot.ts';

/** One row change decoded from the WAL. */
export interface Change {
  op: 'insert' | 'update' | 'delete' | 'truncate';
  schema: string;
  table: string;
  /** WAL position of this change. */
  lsn: string;
  /** End of the commit of its transaction: the position acknowledged once this change is durably applied. */
  commitLsn: string;
  /** New row (insert, update). Values are parsed by node-postgres' type parsers. */
  new: Record<string, unknown> | undefined;
  /** Old row or its key, as the table's REPLICA IDENTITY allows (update, delete). */
  old: Record<string, unknown> | undefined;
}

/** A batch of whole transactions. */
export interface ChangeBatch {
  readonly changes: Change[];
  /** Commit end LSN of the batch's last transaction. */
  readonly lsn: string;
  /**
   * Marks the batch durably applied. With `state`, writes `{ lsn }` (inside `tx` for the PostgreSQL store). Without
   * `tx` the slot is acknowledged at once; with `tx`, when you ask for the next batch (your transaction has committed
   * by then). Never on receipt.
   */
  commit(tx?: SqlClient): Promise<void>;
}

export interface LogicalChangesOptions {
  /**
   * Connection settings of the replication connection (a pg `ClientConfig`, e.g. `{ connectionString }`). Logical
   * replication needs its own connection in replication mode; it is opened from these settings for the duration of
   * the iteration and closed after it. The role needs the REPLICATION attribute.
   */
  connection: Record<string, unknown>;
  slot: string;
  publication: string;
  /** Changes per batch (whole transactions are never split, so a batch may hold more). @default 1000 */
  batchSize?: number;
  /** Transactions buffered before the stream is paused (backpressure). @default 10000 changes */
  maxBuffered?: number;
  /** Also store the LSN here on commit; changes at or before the stored LSN are skipped (exactly-once effect). */
  state?: StateStore;
  /** @default `cdc:<slot>` */
  stateKey?: string;
  /** Ends the iteration. */
  signal?: AbortSignal;
}

interface Relation {
  schema: string;
  name: string;
}
type Message =
  | { tag: 'begin'; commitLsn: string | null }
  | { tag: 'commit'; commitEndLsn: string | null }
  | { tag: 'insert'; relation: Relation; new: Record<string, unknown> }
  | {
      tag: 'update';
      relation: Relation;
      key: Record<string, unknown> | null;
      old: Record<string, unknown> | null;
      new: Record<string, unknown>;
    }
  | { tag: 'delete'; relation: Relation; key: Record<string, unknown> | null; old: Record<string, unknown> | null }
  | { tag: 'truncate'; relations: Relation[] }
  | { tag: string };
interface Service {
  on(event: string, listener: (...args: never[]) => unknown): unknown;
  subscribe(plugin: unknown, slot: string, lsn?: string): Promise<unknown>;
  acknowledge(lsn: string, ping?: boolean): Promise<boolean>;
  stop(): Promise<unknown>;
}
interface ReplicationModule {
  LogicalReplicationService: new (config: Record<string, unknown>, options: Record<string, unknown>) => Service;
  PgoutputPlugin: new (options: { protoVersion: 1 | 2; publicationNames: string[] }) => unknown;
}

interface Transaction {
  changes: Change[];
  commitLsn: string;
}

/**
 * Streams row changes of a publication from a `pgoutput` logical replication slot (`pg-logical-replication`, an
 * optional peer dependency), in batches of whole transactions. Automatic acknowledgement is off: the slot moves
 * only after `batch.commit()` and your transaction, so a crash re-delivers whatever was not committed.
 */
export async function* logicalChanges(options: LogicalChangesOptions): AsyncGenerator<ChangeBatch> {
  if (options?.connection === null || typeof options?.connection !== 'object') {
    throw new InvalidOptionError(
      'connection',
      'the replication connection settings ({ connectionString, … })',
      options?.connection,
    );
  }
  const batchSize = options.batchSize ?? 1000;
  const maxBuffered = options.maxBuffered ?? 10_000;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InvalidOptionError('batchSize', 'a positive integer', batchSize);
  if (!Number.isInteger(maxBuffered) || maxBuffered < 1)
    throw new InvalidOptionError('maxBuffered', 'a positive integer', maxBuffered);
  const stateKey = options.stateKey ?? `cdc:${options.slot}`;
  const stored = options.state
    ? ((await options.state.get(stateKey))?.position as { lsn?: unknown } | undefined)
    : undefined;
  if (stored !== undefined && typeof stored.lsn !== 'string') {
    throw new PositionError(stateKey, `expected { lsn: string }, found ${JSON.stringify(stored)}`);
  }
  const skipThrough = stored?.lsn as string | undefined;

  const lib = (await import('pg-logical-replication')) as unknown as ReplicationModule;
  const service = new lib.LogicalReplicationService(options.connection, {
    // Never acknowledge on receipt, nor on the library's timer (it would acknowledge the last *received* LSN).
    acknowledge: { auto: false, timeoutSeconds: 0 },
    flowControl: { enabled: true },
  });

  const ready: Transaction[] = [];
  let buffered = 0;
  let current: Transaction | undefined;
  let failure: unknown;
  let acked = skipThrough ?? '0/0';
  let wake: (() => void) | undefined;
  let room: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };

  service.on('data', async (lsn: string, message: Message) => {
    const push = (change: Omit<Change, 'lsn' | 'commitLsn'>): void => {
      current?.changes.push({ ...change, lsn, commitLsn: current.commitLsn });
    };
    switch (message.tag) {
      case 'begin':
        current = { changes: [], commitLsn: (message as { commitLsn: string | null }).commitLsn ?? lsn };
        break;
      case 'insert': {
        const m = message as Extract<Message, { tag: 'insert' }>;
        push({ op: 'insert', schema: m.relation.schema, table: m.relation.name, new: m.new, old: undefined });
        break;
      }
      case 'update': {
        const m = message as Extract<Message, { tag: 'update' }>;
        push({
          op: 'update',
          schema: m.relation.schema,
          table: m.relation.name,
          new: m.new,
          old: m.old ?? m.key ?? undefined,
        });
        break;
      }
      case 'delete': {
        const m = message as Extract<Message, { tag: 'delete' }>;
        push({
          op: 'delete',
          schema: m.relation.schema,
          table: m.relation.name,
          new: undefined,
          old: m.old ?? m.key ?? undefined,
        });
        break;
      }
      case 'truncate':
        for (const relation of (message as Extract<Message, { tag: 'truncate' }>).relations) {
          push({ op: 'truncate', schema: relation.schema, table: relation.name, new: undefined, old: undefined });
        }
        break;
      case 'commit': {
        const tx = current;
        current = undefined;
        if (!tx) break;
        tx.commitLsn = (message as { commitEndLsn: string | null }).commitEndLsn ?? tx.commitLsn;
        for (const change of tx.changes) change.commitLsn = tx.commitLsn;
        // Already applied before a crash (the stored LSN is ahead of the slot): skip, do not deliver twice.
        if (tx.changes.length === 0 || (skipThrough !== undefined && compareLsn(tx.commitLsn, skipThrough) <= 0)) break;
        ready.push(tx);
        buffered += tx.changes.length;
        notify();
        // Backpressure: the library pauses the socket until this handler returns.
        while (buffered >= maxBuffered) await new Promise<void>((resolve) => (room = resolve));
        break;
      }
    }
  });
  service.on('heartbeat', (_lsn: string, _time: number, shouldRespond: boolean) => {
    // Keep the connection alive by repeating the last *committed* position.
    if (shouldRespond) void service.acknowledge(acked).catch(() => undefined);
  });
  service.on('error', (error: unknown) => {
    failure ??= error;
    notify();
  });
  const acknowledge = async (lsn: string): Promise<void> => {
    if (compareLsn(lsn, acked) <= 0) return;
    acked = lsn;
    await service.acknowledge(lsn);
  };
  const onAbort = (): void => notify();
  options.signal?.addEventListener('abort', onAbort);
  const plugin = new lib.PgoutputPlugin({ protoVersion: 1, publicationNames: [options.publication] });
  const subscription = service.subscribe(plugin, options.slot, skipThrough).catch((error: unknown) => {
    failure ??= error;
    notify();
  });

  try {
    for (;;) {
      while (ready.length === 0 && failure === undefined && !options.signal?.aborted) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (failure !== undefined) throw failure;
      if (options.signal?.aborted) return;
      const changes: Change[] = [];
      while (ready.length > 0 && changes.length < batchSize) changes.push(...(ready.shift() as Transaction).changes);
      buffered -= changes.length;
      room?.();
      room = undefined;
      const lsn = (changes[changes.length - 1] as Change).commitLsn;
      let done = false;
      const batch: ChangeBatch = {
        changes,
        lsn,
        async commit(tx?: SqlClient): Promise<void> {
          if (done) return;
          if (options.state) await options.state.commit(stateKey, { lsn }, { tx });
          done = true;
          // Without a transaction, the caller's write has completed already: acknowledge at once.
          if (tx === undefined) await acknowledge(lsn);
        },
      };
      yield batch;
      if (!done) throw new UncommittedPageError(stateKey);
      // We are resumed only after the caller's write (and its transaction) went through: now the slot may move.
      await acknowledge(lsn);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    room?.();
    await service.stop();
    await subscription;
  }
}
