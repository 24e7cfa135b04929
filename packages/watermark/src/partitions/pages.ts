import type { SqlClient } from '@pipewright/core';
import { InvalidOptionError, systemClock } from '@pipewright/core';
import { LeaseKeeper } from '../internal/lease-keeper.ts';
import { keysetPages } from '../keyset/extract.ts';
import type { KeysetOptions, KeysetPage } from '../keyset/types.ts';
import type { StateStore } from '../state/types.ts';
import type { Partition, PgPartitions } from './store.ts';

export interface PartitionedOptions extends Omit<KeysetOptions, 'stateKey' | 'lease' | 'window'> {
  /** The partitions of `job` (planned with `partitions.plan`). */
  partitions: PgPartitions;
  job: string;
  /** This worker's name (host/pid). */
  owner: string;
  /** Lease of a claimed partition, in ms; a dead worker's partition is reclaimed after it. @default 30000 */
  ttlMs?: number;
  /** @default ttlMs / 3 */
  heartbeatMs?: number;
}

/** A page of one partition. */
export interface PartitionPage<Row> extends KeysetPage<Row> {
  readonly partition: Partition;
}

/**
 * Claims partitions one after another (`FOR UPDATE SKIP LOCKED` plus a fenced lease), reads each with keyset
 * pagination inside its window from its own committed position, and marks it done after its last page is
 * committed. Run it in any number of processes on any number of machines.
 */
export async function* partitionedPages<R = Record<string, unknown>>(
  sql: SqlClient,
  options: PartitionedOptions,
): AsyncGenerator<PartitionPage<R>> {
  const { partitions, job, owner, ttlMs = 30_000, heartbeatMs, ...keyset } = options;
  if (typeof owner !== 'string' || owner.length === 0)
    throw new InvalidOptionError('owner', 'a non-empty string', owner);
  const clock = keyset.clock ?? systemClock;
  for (;;) {
    const claim = await partitions.claim(job, { owner, ttlMs });
    if (claim === undefined) return;
    const keeper = new LeaseKeeper(keyset.state, clock, { owner, ttlMs, heartbeatMs });
    keeper.adopt(claim.lease);
    const fenced: StateStore = {
      ...keyset.state,
      commit(key, position, commitOptions) {
        keeper.check();
        return keyset.state.commit(key, position, { ...commitOptions, token: keeper.lease?.token });
      },
    };
    let finished = false;
    // Done only when the run's upper bound confirms the whole window is in the past (an empty source confirms
    // nothing, so its partitions stay open).
    let closed = false;
    try {
      for await (const page of keysetPages<R>(sql, {
        ...keyset,
        state: fenced,
        stateKey: claim.lease.key,
        window: { start: claim.partition.start, end: claim.partition.end },
        onBound: (bound) => {
          closed = bound.windowClosed;
        },
      })) {
        yield { ...page, commit: page.commit, partition: claim.partition };
      }
      keeper.check();
      // A window that reaches above the upper bound may still receive rows: read what is safe, keep it open, stop.
      if (!closed) return;
      await partitions.complete({ partition: claim.partition, lease: keeper.lease ?? claim.lease });
      finished = true;
    } finally {
      await keeper.stop();
    }
    if (!finished) return;
  }
}
