import { PipewrightError } from '@pipewright/core';

/** Bad arguments or a refused interactive action: exit code 2. */
export class CliUsageError extends PipewrightError {
  constructor(message: string) {
    super('PW_CLI_USAGE', message, { kind: 'fatal' });
  }
}

/** The server cannot be reached (or refuses the credentials): exit code 3. The URL in the message is masked. */
export class CannotConnectError extends PipewrightError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PW_CLI_CONNECT', message, { kind: 'transient', cause: options?.cause });
  }
}

/** The tables a command reads do not exist yet (a migration was never applied): exit code 3. */
export class NotSetUpError extends PipewrightError {
  constructor(message: string) {
    super('PW_CLI_NOT_SET_UP', message, { kind: 'fatal' });
  }
}

/** Exit codes of `pipewright`, documented in the README. */
export const EXIT: Readonly<{ ok: 0; failure: 1; usage: 2; connect: 3; interrupted: 130 }> = Object.freeze({
  ok: 0,
  failure: 1,
  usage: 2,
  connect: 3,
  interrupted: 130,
});
