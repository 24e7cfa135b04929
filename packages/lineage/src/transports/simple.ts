import { ensureError } from '@pipewright/core';
import { LineageDeliveryError } from '../errors.ts';
import type { LineageEvent } from '../events.ts';
import type { LineageTransport } from './types.ts';

/** Discards every event (the default until you configure a transport). */
export function noopTransport(): LineageTransport {
  return { name: 'noop', send: () => Promise.resolve() };
}

export interface ConsoleTransportOptions {
  /** Where each NDJSON line goes. @default a write to process.stdout */
  write?: (line: string) => void;
  /** Indent the JSON for reading. @default false */
  pretty?: boolean;
}

/** Writes each event as one JSON line to stdout (or your `write`). */
export function consoleTransport(options: ConsoleTransportOptions = {}): LineageTransport {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const indent = options.pretty ? 2 : undefined;
  return {
    name: 'console',
    send(events) {
      for (const event of events) write(JSON.stringify(event, null, indent));
      return Promise.resolve();
    },
  };
}

/**
 * Sends every batch to all transports at once. An event counts as delivered only when every transport took it;
 * the failures of each transport are reported together.
 */
export function compositeTransport(transports: readonly LineageTransport[]): LineageTransport {
  return {
    name: `composite(${transports.map((t) => t.name).join(',')})`,
    async send(events, signal) {
      const results = await Promise.allSettled(transports.map((t) => t.send(events, signal)));
      const failed = new Set<LineageEvent>();
      const errors: Error[] = [];
      for (const result of results) {
        if (result.status === 'fulfilled') continue;
        const error = ensureError(result.reason);
        errors.push(error);
        const list = error instanceof LineageDeliveryError ? (error.failedEvents as LineageEvent[]) : events;
        for (const event of list) failed.add(event);
      }
      if (errors.length > 0) {
        const cause = errors.length === 1 ? errors[0] : new AggregateError(errors, 'several transports failed');
        throw new LineageDeliveryError(this.name, [...failed], cause);
      }
    },
    async close() {
      await Promise.allSettled(transports.map((t) => t.close?.()));
    },
  };
}
