import { type Clock, ensureError, InvalidOptionError, type Logger } from '@pipewright/core';
import { LeaseLostError } from '../errors.ts';
import type { Lease, LeaseHolder, LeaseStore } from '../lease.ts';

export interface LockOptions {
  /** The store of leases (`createLeaseStore`). */
  leases: LeaseStore;
  /** Lease name. @default the pipeline's name */
  name?: string;
  /** How long the lease lasts without a heartbeat. @default 60000 */
  ttlMs?: number;
  /** How often the heartbeat renews it. @default ttlMs / 3 */
  heartbeatMs?: number;
  /** Who holds it, for `already running` messages. @default `${hostname}:${pid}` */
  holder?: string;
}

export type HeldLease =
  | { acquired: false; heldBy: LeaseHolder | undefined }
  | { acquired: true; token(): bigint; lease(): Lease; signal: AbortSignal; stop(): Promise<void> };

/**
 * Takes the lease and keeps it alive with a heartbeat on the clock. If it is taken over, or cannot be renewed
 * before it expires, `signal` aborts with a `LeaseLostError` so the run stops before committing anything more.
 */
export async function holdLease(
  pipeline: string,
  holder: string,
  options: LockOptions,
  clock: Clock,
  logger: Logger,
): Promise<HeldLease> {
  const ttlMs = options.ttlMs ?? 60_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(ttlMs / 3));
  if (!(Number.isFinite(heartbeatMs) && heartbeatMs > 0 && heartbeatMs < ttlMs)) {
    throw new InvalidOptionError('lock.heartbeatMs', `a positive number below ttlMs (${ttlMs})`, heartbeatMs);
  }
  const taken = await options.leases.acquire(options.name ?? pipeline, { ttlMs, holder });
  if (!taken.acquired) return taken;
  let lease = taken.lease;
  const controller = new AbortController();
  let cancelTimer: (() => void) | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  const beat = async (): Promise<void> => {
    try {
      lease = await options.leases.renew(lease, ttlMs);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        controller.abort(error);
        return;
      }
      logger.warn({ err: error, lease: lease.name }, 'lease heartbeat failed; will retry');
      if (clock.now() >= lease.expiresAt.getTime()) {
        controller.abort(
          new LeaseLostError(lease.name, lease.token, `not renewed before it expired (${ensureError(error).message})`),
        );
        return;
      }
    }
    schedule();
  };
  const schedule = (): void => {
    if (stopped || controller.signal.aborted) return;
    cancelTimer = clock.setTimer(() => {
      inFlight = beat();
    }, heartbeatMs);
  };
  schedule();

  return {
    acquired: true,
    token: () => lease.token,
    lease: () => lease,
    signal: controller.signal,
    async stop() {
      stopped = true;
      cancelTimer?.();
      await inFlight;
      if (controller.signal.aborted) return;
      try {
        await options.leases.release(lease);
      } catch (error) {
        logger.warn({ err: error, lease: lease.name }, 'could not release the lease; it will expire');
      }
    },
  };
}
