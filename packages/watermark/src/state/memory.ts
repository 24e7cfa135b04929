import { systemClock } from '@pipewright/core';
import { type RecordsData, recordOps } from '../internal/records.ts';
import { validKey } from '../internal/rules.ts';
import type {
  AcquireOptions,
  AuditEntry,
  CommitOptions,
  Lease,
  Position,
  RewindOptions,
  StateRecord,
  StateStore,
  StoreOptions,
} from './types.ts';
import { DEFAULT_TTL_MS } from './types.ts';

/** An in-process store for tests and single-process jobs whose state may be lost on exit. */
export function memoryStateStore(options: StoreOptions = {}): StateStore {
  const clock = options.clock ?? systemClock;
  const data: RecordsData = { records: {}, audit: [] };
  return {
    kind: 'memory',
    transactional: false,
    async get(key: string): Promise<StateRecord | undefined> {
      const record = data.records[validKey(key)];
      return record === undefined ? undefined : structuredClone(record);
    },
    async commit(key: string, position: Position, commitOptions?: CommitOptions): Promise<void> {
      recordOps.commit(data, clock, key, position, commitOptions?.token);
    },
    async acquire(key: string, acquireOptions: AcquireOptions): Promise<Lease> {
      return recordOps.acquire(data, clock, key, acquireOptions);
    },
    async renew(lease: Lease, ttlMs: number = DEFAULT_TTL_MS): Promise<Lease> {
      return recordOps.renew(data, clock, lease, ttlMs);
    },
    async release(lease: Lease): Promise<boolean> {
      return recordOps.release(data, lease);
    },
    async rewind(key: string, position: Position | undefined, rewindOptions: RewindOptions): Promise<void> {
      recordOps.rewind(data, clock, key, position, rewindOptions);
    },
    async audit(key: string): Promise<AuditEntry[]> {
      return structuredClone(data.audit.filter((entry) => entry.key === key));
    },
  };
}
