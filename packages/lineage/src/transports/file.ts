import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidOptionError } from '@pipewright/core';
import { LineageDeliveryError } from '../errors.ts';
import type { LineageEvent } from '../events.ts';
import type { LineageTransport } from './types.ts';

/** NDJSON of a batch; an event that cannot be serialised (a bigint, a cycle) fails alone, not its batch. */
export function serialize(events: readonly LineageEvent[]): { text: string; failed: LineageEvent[]; error: unknown } {
  let text = '';
  const failed: LineageEvent[] = [];
  let error: unknown;
  for (const event of events) {
    try {
      text += `${JSON.stringify(event)}\n`;
    } catch (e) {
      failed.push(event);
      error = e;
    }
  }
  return { text, failed, error };
}

export interface FileTransportOptions {
  /** The NDJSON file; created (with its directory) if missing, appended to otherwise. */
  path: string;
  /** fsync after each batch, so a delivered event survives a power loss. @default false */
  fsync?: boolean;
}

/** Appends each event as one JSON line (NDJSON). A batch is one write. */
export function fileTransport(options: FileTransportOptions): LineageTransport {
  if (typeof options?.path !== 'string' || options.path === '') {
    throw new InvalidOptionError('path', 'a file path', options?.path);
  }
  const { path } = options;
  let handle: Promise<FileHandle> | undefined;
  const getHandle = (): Promise<FileHandle> => {
    handle ??= mkdir(dirname(path), { recursive: true }).then(() => open(path, 'a'));
    // A failed open is retried on the next batch rather than poisoning the transport.
    handle.catch(() => {
      handle = undefined;
    });
    return handle;
  };
  return {
    name: 'file',
    async send(events) {
      if (events.length === 0) return;
      const { text, failed, error } = serialize(events);
      if (text !== '') {
        const file = await getHandle();
        await file.appendFile(text, 'utf8');
        if (options.fsync) await file.datasync();
      }
      if (failed.length > 0) throw new LineageDeliveryError('file', failed, error);
    },
    async close() {
      const current = handle;
      handle = undefined;
      if (current) await (await current).close();
    },
  };
}
