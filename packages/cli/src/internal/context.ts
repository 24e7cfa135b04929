import { type Clock, systemClock } from '@pipewright/core';
import type { Command } from 'commander';
import { CliUsageError } from '../errors.ts';
import type { Connections } from './connect.ts';
import { type Paint, painter } from './format.ts';
import { type CliIo, wantsColour } from './io.ts';

/** What a command's action gets: output helpers, the clock, lazily opened connections and its options. */
export interface Ctx {
  io: CliIo;
  clock: Clock;
  conn: Connections;
  /** Colours for stdout (off unless stdout is a TTY and NO_COLOR is unset). */
  paint: Paint;
  colour: boolean;
  /** The command's options merged with the global ones. */
  opts: Record<string, unknown>;
  /** Positional arguments, as commander parsed them. */
  args: unknown[];
  json: boolean;
  /** Writes a line (or lines) to stdout. */
  out(text: string): void;
  /** Writes a line to stderr. */
  note(text: string): void;
  /** `--schema` when given, else the package's default. */
  schema(fallback: string): string;
}

export type Action = (ctx: Ctx) => Promise<number>;

/** Shared state of one `main()` call: the exit code the last action returned. */
export interface Run {
  io: CliIo;
  conn: Connections;
  code: number;
}

/** Adapts an action to commander: builds its context and records its exit code. */
export function act(run: Run, fn: Action): (...raw: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    const command = raw.at(-1) as Command;
    const colour = wantsColour(run.io.stdout, run.io.env);
    const opts = command.optsWithGlobals() as Record<string, unknown>;
    const ctx: Ctx = {
      io: run.io,
      clock: run.io.clock ?? systemClock,
      conn: run.conn,
      paint: painter(colour),
      colour,
      opts,
      args: command.processedArgs,
      json: opts.json === true,
      out: (text) => {
        run.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      },
      note: (text) => {
        run.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
      },
      schema: (fallback) => (typeof opts.schema === 'string' ? opts.schema : fallback),
    };
    run.code = await fn(ctx);
  };
}

/** Commander argument parser for a positive integer option. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw new CliUsageError(`Expected ${name} to be a positive integer, got "${value}"`);
    }
    return n;
  };
}

/** Commander argument parser for a positive number option (a rate). */
export function positiveNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new CliUsageError(`Expected ${name} to be a positive number, got "${value}"`);
    }
    return n;
  };
}

/** "Examples:" help text appended to a command. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
