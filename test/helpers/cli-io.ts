import { PassThrough } from 'node:stream';
import type { Clock } from '@pipewright/core';

export interface CapturedRun {
  code: number;
  out: string;
  err: string;
}

export interface CaptureOptions {
  /** Text on stdin (ended after it). */
  input?: string;
  /** Pretend stdin is a terminal (prompts are shown and read). */
  stdinTTY?: boolean;
  stdoutTTY?: boolean;
  env?: Record<string, string | undefined>;
  clock?: Clock;
}

/** An in-memory CliIo for `main(argv, io)` of @pipewright/cli, with everything written captured. */
export function captureIo(options: CaptureOptions = {}) {
  const captured = { out: '', err: '' };
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = options.stdinTTY ?? false;
  stdin.end(options.input ?? '');
  const io = {
    stdout: {
      isTTY: options.stdoutTTY ?? false,
      write: (s: string) => {
        captured.out += s;
        return true;
      },
    },
    stderr: {
      isTTY: false,
      write: (s: string) => {
        captured.err += s;
        return true;
      },
    },
    stdin,
    env: options.env ?? {},
    ...(options.clock ? { clock: options.clock } : {}),
  };
  return { io, captured };
}
