import type { Clock } from '@pipewright/core';

/** Where the CLI reads and writes; `main()` takes one so tests run it in-process. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  /** Read for confirmations; a prompt is shown only when `isTTY` is true. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** Time source for ages, rate limits and progress. @default systemClock */
  clock?: Clock;
  /** Aborted on Ctrl-C by the bin: a redrive stops before its next entry (the one in flight finishes). */
  signal?: AbortSignal;
}

/** Replaces the password of every URL in `text` (`postgres://user:***@host`). */
export function maskUrls(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^:/@\s]*):([^@\s]*)@/gi, '$1$2:***@');
}

/** True when colour is wanted on `stream`: a TTY, `NO_COLOR` unset, `TERM` not dumb (`FORCE_COLOR` wins). */
export function wantsColour(stream: { isTTY?: boolean }, env: CliIo['env']): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * Wraps an output stream so that nothing written through it can carry a credential: URLs are masked and the
 * secrets given (passwords found in the connection URLs) are replaced wherever they appear.
 */
export function scrubbed(stream: CliIo['stdout'], secrets: () => readonly string[]): CliIo['stdout'] {
  return {
    isTTY: stream.isTTY,
    write(chunk: string): unknown {
      let text = maskUrls(chunk);
      for (const secret of secrets()) if (secret.length >= 3) text = text.split(secret).join('***');
      return stream.write(text);
    },
  };
}
