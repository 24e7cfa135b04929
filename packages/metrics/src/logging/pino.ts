import { InvalidOptionError, type Logger } from '@pipewright/core';
import { redact } from './redact.ts';

/** The shape of a pino logger that this adapter uses (pino itself, or anything compatible). */
export interface PinoLike {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): PinoLike;
}

/**
 * Adapts a pino logger to `core.Logger`, redacting secret-looking fields (and credentials inside strings and
 * error messages) before pino sees them. Errors arrive as plain objects with `type`, `message` and `stack`.
 */
export function fromPino(pino: PinoLike): Logger {
  for (const method of ['debug', 'info', 'warn', 'error', 'child'] as const) {
    if (typeof pino?.[method] !== 'function') {
      throw new InvalidOptionError('pino', `a pino logger (missing ${method}())`, pino);
    }
  }
  return {
    debug: (obj, msg) => pino.debug(redact(obj) as object, msg),
    info: (obj, msg) => pino.info(redact(obj) as object, msg),
    warn: (obj, msg) => pino.warn(redact(obj) as object, msg),
    error: (obj, msg) => pino.error(redact(obj) as object, msg),
    child: (bindings) => fromPino(pino.child(redact(bindings) as Record<string, unknown>)),
  };
}
