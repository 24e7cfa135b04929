import type { Logger } from '@pipewright/core';

/**
 * Wraps the user's logger so that a throwing logger (a closed stream, a buggy transport) is reported to
 * `onError` instead of failing the step or run being logged: observability never breaks the job.
 */
export function safeLogger(logger: Logger, onError: (error: unknown) => void): Logger {
  const guard =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object, msg?: string): void => {
      try {
        logger[method](obj, msg);
      } catch (error) {
        onError(error);
      }
    };
  return {
    debug: guard('debug'),
    info: guard('info'),
    warn: guard('warn'),
    error: guard('error'),
    child(bindings) {
      try {
        return safeLogger(logger.child(bindings), onError);
      } catch (error) {
        onError(error);
        return safeLogger(logger, onError);
      }
    },
  };
}
