import { type Clock, hasErrorCode } from '@pipewright/core';
import type { LeaseOptions } from '../keyset/types.ts';
import type { Lease, StateStore } from '../state/types.ts';
import { DEFAULT_TTL_MS } from '../state/types.ts';

/** Holds a lease for a run: acquires it, renews it on a heartbeat, and remembers a failed renewal. */
export class LeaseKeeper {
  lease: Lease | undefined;
  failure: Error | undefined;
  readonly #store: StateStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #heartbeatMs: number;
  #cancel: (() => void) | undefined;
  #stopped = false;

  constructor(store: StateStore, clock: Clock, options: LeaseOptions) {
    this.#store = store;
    this.#clock = clock;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.#ttlMs / 3));
  }

  async start(key: string, owner: string): Promise<Lease> {
    this.lease = await this.#store.acquire(key, { owner, ttlMs: this.#ttlMs });
    this.#schedule();
    return this.lease;
  }

  /** Renews a lease acquired elsewhere (a partition claim) on the same heartbeat. */
  adopt(lease: Lease): void {
    this.lease = lease;
    this.#schedule();
  }

  /** Throws the heartbeat's failure (for example a `StaleLeaseError`) so the run stops before writing. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    if (this.lease && !this.failure) await this.#store.release(this.lease);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#cancel = this.#clock.setTimer(() => {
      const lease = this.lease;
      if (!lease || this.#stopped) return;
      this.#store.renew(lease, this.#ttlMs).then(
        (renewed) => {
          this.lease = renewed;
          this.#schedule();
        },
        (error: unknown) => {
          // A stale token is final; a network blip is retried on the next beat while the lease may still be valid.
          if (hasErrorCode(error, 'PW_WATERMARK_STALE_LEASE')) this.failure = error;
          else this.#schedule();
        },
      );
    }, this.#heartbeatMs);
  }
}
