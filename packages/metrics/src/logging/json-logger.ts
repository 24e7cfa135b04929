import { type Clock, InvalidOptionError, type Logger, systemClock } from '@pipewright/core';
import { redact } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** pino's numeric levels, so log pipelines built for pino read these lines unchanged. */
export const LOG_LEVEL_VALUES: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warn: 40, error: 50 };

export interface JsonLoggerOptions {
  /**
   * Receives one JSON line (without the trailing newline).
   * @default writes the line and "\n" to process.stdout
   */
  write?: (line: string) => void;
  /**
   * The lowest level written.
   * @default 'info'
   */
  level?: LogLevel;
  /** Fields on every line (e.g. `{ service: 'orders-sync' }`). */
  bindings?: Record<string, unknown>;
  /**
   * The source of `time` (epoch milliseconds).
   * @default systemClock
   */
  clock?: Clock;
}

/**
 * A structured logger writing pino-shaped JSON lines (`level`, `time`, bindings, fields, `msg`), with every
 * secret-looking field redacted. A `core.Logger`: pass it wherever Pipewright accepts a `logger`.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(level in LOG_LEVEL_VALUES)) {
    throw new InvalidOptionError('level', '"debug", "info", "warn" or "error"', level);
  }
  if (options.write !== undefined && typeof options.write !== 'function') {
    throw new InvalidOptionError('write', 'a function receiving one JSON line', options.write);
  }
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const clock = options.clock ?? systemClock;
  const threshold = LOG_LEVEL_VALUES[level];

  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (name: LogLevel) =>
      (obj: object, msg?: string): void => {
        const value = LOG_LEVEL_VALUES[name];
        if (value < threshold) return;
        const fields = redact(obj) as Record<string, unknown>;
        const line: Record<string, unknown> = { level: value, time: clock.now(), ...bindings, ...fields };
        if (msg !== undefined) line.msg = msg;
        try {
          write(JSON.stringify(line));
        } catch {
          // A log sink that fails must not fail the job.
        }
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => make({ ...bindings, ...(redact(more) as Record<string, unknown>) }),
    };
  };
  return make(redact(options.bindings ?? {}) as Record<string, unknown>);
}
