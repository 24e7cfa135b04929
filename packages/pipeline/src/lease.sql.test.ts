import { FakeClock } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { LeaseLostError } from './errors.ts';
import { createLeaseStore } from './lease.ts';

const db = useTestDatabase();

describe('createLeaseStore', () => {
  it('hands the lease to one holder, refuses others until it expires, then issues a larger token', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 1));
    const leases = createLeaseStore({ sql: db.sql, schema: db.schema, clock });
    const a = await leases.acquire('orders', { ttlMs: 30_000, holder: 'worker-a' });
    if (!a.acquired) throw new Error('expected to acquire');
    const b = await leases.acquire('orders', { ttlMs: 30_000, holder: 'worker-b' });
    expect(b).toEqual({
      acquired: false,
      heldBy: { holder: 'worker-a', token: a.lease.token, expiresAt: new Date(clock.now() + 30_000) },
    });

    await clock.advance(30_000); // expired, never renewed
    const c = await leases.acquire('orders', { ttlMs: 30_000, holder: 'worker-b' });
    if (!c.acquired) throw new Error('expected to take over the expired lease');
    expect(c.lease.token).toBeGreaterThan(a.lease.token);

    // The stale holder can neither renew, nor commit, nor release the new holder's lease.
    await expect(leases.renew(a.lease, 30_000)).rejects.toThrow(LeaseLostError);
    await expect(
      db.sql.transaction((tx) => leases.check(tx, { name: 'orders', token: a.lease.token })),
    ).rejects.toThrow(
      `Lease "orders" with fencing token ${a.lease.token} is no longer held: the current token is ${c.lease.token}`,
    );
    expect(await leases.release(a.lease)).toBe(false);
    await db.sql.transaction((tx) => leases.check(tx, { name: 'orders', token: c.lease.token }));
  });

  it('renews before expiry, and release lets the next holder in at once', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 2));
    const leases = createLeaseStore({ sql: db.sql, schema: db.schema, clock });
    const first = await leases.acquire('renewed', { ttlMs: 10_000, holder: 'a' });
    if (!first.acquired) throw new Error('expected to acquire');
    await clock.advance(9_000);
    const renewed = await leases.renew(first.lease, 10_000);
    expect(renewed.expiresAt.getTime()).toBe(clock.now() + 10_000);
    await clock.advance(9_000); // past the first expiry, within the renewed one
    expect((await leases.acquire('renewed', { ttlMs: 10_000, holder: 'b' })).acquired).toBe(false);
    expect(await leases.release(renewed)).toBe(true);
    const next = await leases.acquire('renewed', { ttlMs: 10_000, holder: 'b' });
    expect(next.acquired && next.lease.token > first.lease.token).toBe(true);
  });

  it('tokens keep growing across lease names and even if a row is deleted', async () => {
    const clock = new FakeClock(0);
    const leases = createLeaseStore({ sql: db.sql, schema: db.schema, clock });
    const x = await leases.acquire('x', { ttlMs: 1000, holder: 'a' });
    await db.sql.query(`DELETE FROM ${db.qschema}.pipewright_leases WHERE name = 'x'`);
    const again = await leases.acquire('x', { ttlMs: 1000, holder: 'a' });
    expect(x.acquired && again.acquired && again.lease.token > x.lease.token).toBe(true);
    await expect(db.sql.transaction((tx) => leases.check(tx, { name: 'nope', token: 1n }))).rejects.toThrow(
      'no such lease',
    );
    await expect(leases.acquire('x', { ttlMs: 0, holder: 'a' })).rejects.toThrow(
      'Expected `ttlMs` to be a positive number',
    );
  });
});
