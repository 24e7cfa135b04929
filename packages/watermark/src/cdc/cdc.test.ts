import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, uniqueName } from '../../../../test/helpers/env.ts';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { UncommittedPageError, WalLevelError } from '../errors.ts';
import { pgStateStore } from '../state/postgres.ts';
import { type Change, logicalChanges } from './changes.ts';
import { checkWalLevel, compareLsn, createReplicationSlot, dropReplicationSlot, slotPosition } from './slot.ts';

const db = useTestDatabase({ poolSize: 4 });
// Slots and publications are cluster-wide: unique names, dropped by this file.
const slot = uniqueName('pw_slot').toLowerCase();
const publication = uniqueName('pw_pub');
const connection = { connectionString: PG_URL };

beforeAll(async () => {
  await db.sql.exec(`CREATE TABLE ${db.qschema}.orders (id int PRIMARY KEY, status text);
    CREATE TABLE ${db.qschema}.copy (id int PRIMARY KEY, status text);`);
  expect(await createReplicationSlot(db.sql, { slot, publication, tables: [`${db.schema}.orders`] })).toEqual({
    created: true,
  });
  expect(await createReplicationSlot(db.sql, { slot, publication, tables: [`${db.schema}.orders`] })).toEqual({
    created: false,
  });
});
afterAll(async () => {
  await dropReplicationSlot(db.sql, { slot, publication });
  const left = await db.sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  expect(left.rowCount).toBe(0);
});

const summary = (changes: Change[]): string[] =>
  changes.map((c) => `${c.op}:${String((c.new ?? c.old)?.id)}:${c.table}`);

describe('CDC through logical replication', () => {
  it('names the fix when wal_level is not logical', () => {
    expect(() => checkWalLevel('replica')).toThrow(WalLevelError);
    expect(() => checkWalLevel('replica')).toThrow(/ALTER SYSTEM SET wal_level = logical/);
    expect(() => checkWalLevel('logical')).not.toThrow();
  });

  it('acknowledges only after the durable commit, and re-delivers what was not committed', async () => {
    const state = pgStateStore(db.sql, { schema: db.schema });
    await state.migrate();
    await db.sql.exec(`INSERT INTO ${db.qschema}.orders VALUES (1, 'new'), (2, 'new');`);
    await db.sql.exec(
      `UPDATE ${db.qschema}.orders SET status = 'paid' WHERE id = 1; DELETE FROM ${db.qschema}.orders WHERE id = 2;`,
    );
    const before = (await slotPosition(db.sql, slot)) as string;

    // Run 1 receives the changes, then "crashes" before committing: nothing acknowledged.
    for await (const batch of logicalChanges({ connection, slot, publication, state })) {
      expect(summary(batch.changes).slice(0, 2)).toEqual(['insert:1:orders', 'insert:2:orders']);
      expect(compareLsn(batch.lsn, before)).toBe(1);
      break;
    }
    expect(await slotPosition(db.sql, slot)).toBe(before);

    // Run 2 gets the same changes again, applies them with the LSN in one transaction.
    let lsn = '';
    const pages = logicalChanges({ connection, slot, publication, state, batchSize: 1 });
    for await (const batch of pages) {
      expect(batch.changes[0]?.op).toBe('insert'); // the first transaction (two inserts) is never split
      expect(summary(batch.changes)).toEqual(['insert:1:orders', 'insert:2:orders']);
      await db.sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${db.qschema}.copy VALUES (1, 'new'), (2, 'new')`);
        await batch.commit(tx);
      });
      expect(await slotPosition(db.sql, slot)).toBe(before); // committed, but not yet acknowledged
      lsn = batch.lsn;
      const next = await pages.next(); // resuming acknowledges the first batch
      if (next.done) throw new Error('expected the second transaction');
      expect(summary(next.value.changes)).toEqual(['update:1:orders', 'delete:2:orders']);
      // The acknowledgement is a standby status message: the server records it shortly after.
      await expect
        .poll(async () => compareLsn((await slotPosition(db.sql, slot)) as string, lsn))
        .toBeGreaterThanOrEqual(0);
      await expect(pages.next()).rejects.toBeInstanceOf(UncommittedPageError);
      break;
    }
    expect((await state.get(`cdc:${slot}`))?.position).toEqual({ lsn });

    // Run 3 starts after the acknowledged transaction and sees only the uncommitted one, then new changes.
    await db.sql.exec(`INSERT INTO ${db.qschema}.orders VALUES (3, 'new')`);
    const seen: string[] = [];
    let last = '';
    for await (const batch of logicalChanges({ connection, slot, publication, state })) {
      seen.push(...summary(batch.changes));
      await batch.commit();
      last = batch.lsn;
      if (seen.length >= 3) break;
    }
    expect(seen).toEqual(['update:1:orders', 'delete:2:orders', 'insert:3:orders']);
    // Committed without a transaction: acknowledged at once, even though we broke out of the loop — up to the
    // last batch, so the next test starts with nothing left to deliver.
    await expect.poll(async () => compareLsn((await slotPosition(db.sql, slot)) as string, lsn)).toBe(1);
    await expect
      .poll(async () => compareLsn((await slotPosition(db.sql, slot)) as string, last))
      .toBeGreaterThanOrEqual(0);
  });

  it('stops on abort and validates options', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const batches: unknown[] = [];
    const state = pgStateStore(db.sql, { schema: db.schema });
    for await (const batch of logicalChanges({ connection, slot, publication, state, signal: controller.signal })) {
      batches.push(batch);
      await batch.commit();
    }
    expect(batches).toEqual([]);
    await expect(logicalChanges({ connection: undefined as never, slot, publication }).next()).rejects.toMatchObject({
      code: 'PW_INVALID_OPTION',
    });
  });
});
