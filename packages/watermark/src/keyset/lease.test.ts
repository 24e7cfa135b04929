import { FakeClock } from '@pipewright/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { LeaseHeldError, StaleLeaseError } from '../errors.ts';
import { pgStateStore } from '../state/postgres.ts';
import type { StateStore } from '../state/types.ts';
import { keysetPages } from './extract.ts';
import type { KeysetOptions } from './types.ts';

const db = useTestDatabase();
const clock = new FakeClock(1_700_000_000_000);
let options: KeysetOptions;

beforeAll(async () => {
  const state = pgStateStore(db.sql, { schema: db.schema, clock });
  await state.migrate();
  await db.sql.exec(`CREATE TABLE ${db.qschema}.src (id int PRIMARY KEY, n bigint NOT NULL);
    INSERT INTO ${db.qschema}.src SELECT i, i FROM generate_series(1, 30) AS i;`);
  options = { source: { table: `${db.schema}.src` }, cursor: 'n', key: 'id', state, stateKey: 'leased', pageSize: 10 };
});

describe('leases during extraction', () => {
  it('rejects the commit of a runner whose lease was taken over while it was paused', async () => {
    // Runner A's heartbeats run on a clock that never moves: the process is paused (GC, laptop lid, VM freeze).
    const paused = new FakeClock(clock.now());
    const a = keysetPages(db.sql, { ...options, clock: paused, lease: { owner: 'a', ttlMs: 1000 } });
    const first = await a.next();
    if (first.done) throw new Error('expected a page');
    await expect(keysetPages(db.sql, { ...options, lease: { owner: 'b', ttlMs: 1000 } }).next()).rejects.toBeInstanceOf(
      LeaseHeldError,
    );
    await clock.advance(1001); // A's lease expires on the store's clock
    const b = keysetPages<{ id: number }>(db.sql, { ...options, clock, lease: { owner: 'b', ttlMs: 5000 } });
    const bPage = await b.next();
    if (bPage.done) throw new Error('expected a page');
    await bPage.value.commit();
    const error = await first.value.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleLeaseError);
    expect(error).toMatchObject({ code: 'PW_WATERMARK_STALE_LEASE', token: 1, currentToken: 2 });
    await a.return(undefined);
    expect((await options.state.get('leased'))?.position).toEqual({ cursor: '10', key: ['10'] });
    await b.return(undefined);
    expect((await options.state.get('leased'))?.owner).toBeUndefined(); // released at the end of B's run
  });

  it('heartbeats keep the lease, and a rewind stops the running extractor before it writes', async () => {
    let renewal: Promise<unknown> = Promise.resolve();
    const state: StateStore = {
      ...options.state,
      renew(lease, ttl) {
        const result = options.state.renew(lease, ttl);
        renewal = result.catch(() => undefined);
        return result;
      },
    };
    const pages = keysetPages(db.sql, {
      ...options,
      state,
      stateKey: 'beat',
      clock,
      lease: { owner: 'a', ttlMs: 1000, heartbeatMs: 300 },
    });
    const page = await pages.next();
    if (page.done) throw new Error('expected a page');
    for (let i = 0; i < 5; i++) {
      await clock.advance(300); // 1.5 s in all: alive only thanks to the heartbeats
      await renewal; // a real round trip: let it land before moving the clock again
      expect((await state.get('beat'))?.leaseExpiresAt).toBe(clock.now() + 1000);
    }
    await expect(options.state.acquire('beat', { owner: 'b' })).rejects.toBeInstanceOf(LeaseHeldError);
    await page.value.commit();
    await options.state.rewind('beat', undefined, { actor: 'ops', reason: 'reload' });
    await clock.advance(300); // the next heartbeat finds its token stale
    await renewal;
    await expect(pages.next()).rejects.toBeInstanceOf(StaleLeaseError);
    expect((await options.state.get('beat'))?.position).toBeUndefined();
  });
});
