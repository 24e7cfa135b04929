import type { LineageEvent } from '../events.ts';

/**
 * Delivers batches of events somewhere. `send` resolves when every event is delivered; when some are not, it
 * rejects — with a `LineageDeliveryError` listing them, or any error (then the whole batch counts as failed).
 * Within a batch, events of the same run must be delivered in the order given.
 */
export interface LineageTransport {
  /** For messages, e.g. `http`, `file`. */
  readonly name: string;
  send(events: readonly LineageEvent[], signal: AbortSignal): Promise<void>;
  /** Releases resources (file handles). Called once by the emitter's `close()`. */
  close?(): Promise<void>;
}
