import {
  abortableSleep,
  assertIdentifier,
  InvalidOptionError,
  quoteIdentifier,
  resolveTable,
  type SqlClient,
  systemClock,
  type TableRef,
} from '@pipewright/core';
import { WalLevelError } from '../errors.ts';

/** Throws `WalLevelError` unless `level` is `logical`. */
export function checkWalLevel(level: string): void {
  if (level !== 'logical') throw new WalLevelError(level);
}

/** Reads `wal_level` through the user's client and refuses anything but `logical`. */
export async function assertLogicalReplication(sql: SqlClient): Promise<void> {
  const { rows } = await sql.query<{ wal_level: string }>('SHOW wal_level');
  checkWalLevel(String(rows[0]?.wal_level));
}

export interface SlotOptions {
  /** Replication slot name (letters, digits, underscore; unique per cluster). */
  slot: string;
  /** Publication name. */
  publication: string;
}

export interface CreateSlotOptions extends SlotOptions {
  /** Tables the publication covers. */
  tables: readonly TableRef[];
}

/**
 * Creates the publication (if missing) and a `pgoutput` logical replication slot (if missing) through the user's
 * client. Create the slot before the first snapshot: changes are kept from its creation on.
 */
export async function createReplicationSlot(sql: SqlClient, options: CreateSlotOptions): Promise<{ created: boolean }> {
  assertIdentifier(options.slot);
  const publication = quoteIdentifier(options.publication);
  if (!Array.isArray(options.tables) || options.tables.length === 0) {
    throw new InvalidOptionError('tables', 'a non-empty array of tables', options.tables);
  }
  const tables = options.tables.map((table) => resolveTable(table).sql).join(', ');
  await assertLogicalReplication(sql);
  const existing = await sql.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [options.publication]);
  if (existing.rowCount === 0) await sql.exec(`CREATE PUBLICATION ${publication} FOR TABLE ${tables}`);
  const slot = await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [options.slot]);
  if (slot.rowCount > 0) return { created: false };
  await sql.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [options.slot]);
  return { created: true };
}

/**
 * Drops the slot (WAL is retained for as long as it exists) and the publication, if they exist. A slot still held
 * by a closing replication connection is waited for, up to `waitMs`.
 */
export async function dropReplicationSlot(sql: SqlClient, options: SlotOptions & { waitMs?: number }): Promise<void> {
  assertIdentifier(options.slot);
  const deadline = Date.now() + (options.waitMs ?? 5000);
  for (;;) {
    const { rows } = await sql.query<{ active: boolean }>(
      'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
      [options.slot],
    );
    if (rows[0] === undefined) break;
    if (!rows[0].active || Date.now() >= deadline) {
      await sql.query('SELECT pg_drop_replication_slot($1)', [options.slot]);
      break;
    }
    await abortableSleep(systemClock, 50);
  }
  await sql.exec(`DROP PUBLICATION IF EXISTS ${quoteIdentifier(options.publication)}`);
}

/** The slot's acknowledged position (`confirmed_flush_lsn`), for inspection. */
export async function slotPosition(sql: SqlClient, slot: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ lsn: string | null }>(
    'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  return rows[0]?.lsn ?? undefined;
}

/** Orders LSNs (`'16/B374D848'`). */
export function compareLsn(a: string, b: string): number {
  const parse = (lsn: string): bigint => {
    const [high = '0', low = '0'] = lsn.split('/');
    return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
  };
  const x = parse(a);
  const y = parse(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
