import type { Logger } from '@pipewright/core';

/** Runs an observer callback; a throw or a rejection is logged, never raised (observers never break the job). */
export function safely(logger: Logger, what: string, fn: () => unknown): void {
  try {
    const result = fn();
    if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, (error: unknown) => logger.warn({ err: error }, `${what} failed`));
    }
  } catch (error) {
    logger.warn({ err: error }, `${what} failed`);
  }
}
