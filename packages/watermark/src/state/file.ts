import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidOptionError, systemClock } from '@pipewright/core';
import { Mutex, type RecordsData, recordOps } from '../internal/records.ts';
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

export interface FileStateStoreOptions extends StoreOptions {
  /** The JSON file that holds every key's state (created on first write). */
  path: string;
}

// One queue per file across every store instance of this process: read-modify-write must not interleave.
const mutexes = new Map<string, Mutex>();

/**
 * A store in one JSON file, replaced atomically (write a temporary file, fsync, rename, fsync the directory), so a
 * crash leaves either the old or the new state, never a torn file. Leases are checked within one process; use the
 * PostgreSQL or Redis store to fence runners on several machines.
 */
export function fileStateStore(options: FileStateStoreOptions): StateStore {
  if (typeof options?.path !== 'string' || options.path.length === 0) {
    throw new InvalidOptionError('path', 'a file path', options?.path);
  }
  const path = options.path;
  const clock = options.clock ?? systemClock;
  const lock = mutexes.get(path) ?? new Mutex();
  mutexes.set(path, lock);

  const load = async (): Promise<RecordsData> => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as RecordsData;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: {}, audit: [] };
      throw error;
    }
  };

  const save = async (data: RecordsData): Promise<void> => {
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify(data));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    const directory = await open(dirname(path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  };

  const update = <T>(fn: (data: RecordsData) => T): Promise<T> =>
    lock.run(async () => {
      const data = await load();
      const result = fn(data);
      await save(data);
      return result;
    });

  return {
    kind: 'file',
    transactional: false,
    async get(key: string): Promise<StateRecord | undefined> {
      validKey(key);
      const record = await lock.run(async () => (await load()).records[key]);
      // JSON drops undefined fields: restore the full shape.
      return record === undefined
        ? undefined
        : {
            position: record.position,
            token: record.token,
            owner: record.owner,
            leaseExpiresAt: record.leaseExpiresAt,
            updatedAt: record.updatedAt,
          };
    },
    commit(key: string, position: Position, commitOptions?: CommitOptions): Promise<void> {
      return update((data) => recordOps.commit(data, clock, key, position, commitOptions?.token));
    },
    acquire(key: string, acquireOptions: AcquireOptions): Promise<Lease> {
      return update((data) => recordOps.acquire(data, clock, key, acquireOptions));
    },
    renew(lease: Lease, ttlMs: number = DEFAULT_TTL_MS): Promise<Lease> {
      return update((data) => recordOps.renew(data, clock, lease, ttlMs));
    },
    release(lease: Lease): Promise<boolean> {
      return update((data) => recordOps.release(data, lease));
    },
    rewind(key: string, position: Position | undefined, rewindOptions: RewindOptions): Promise<void> {
      return update((data) => recordOps.rewind(data, clock, key, position, rewindOptions));
    },
    async audit(key: string): Promise<AuditEntry[]> {
      return lock.run(async () => (await load()).audit.filter((entry) => entry.key === key));
    },
  };
}
