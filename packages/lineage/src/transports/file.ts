import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidOptionError } from '@pipewright/core';
import type { LineageTransport } from './types.ts';

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
      let text = '';
      for (const event of events) text += `${JSON.stringify(event)}\n`;
      const file = await getHandle();
      await file.appendFile(text, 'utf8');
      if (options.fsync) await file.datasync();
    },
    async close() {
      const current = handle;
      handle = undefined;
      if (current) await (await current).close();
    },
  };
}
