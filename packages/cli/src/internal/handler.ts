import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RedriveHandler } from '@pipewright/dlq';
import { CliUsageError } from '../errors.ts';

/** A user's redrive module: its handler and an optional `close()` to release what it opened. */
export interface HandlerModule {
  handler: RedriveHandler;
  close: (() => unknown) | undefined;
}

/**
 * Loads `--handler <module>`: an ES module whose default export (or export named `redrive`) re-processes one
 * dead-letter entry. It may export `close()`, awaited after the redrive.
 */
export async function loadHandler(path: string, cwd: string): Promise<HandlerModule> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(cwd, path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliUsageError(`Cannot load --handler ${path}: ${(error as Error).message}`);
  }
  const handler = typeof mod.default === 'function' ? mod.default : mod.redrive;
  if (typeof handler !== 'function') {
    throw new CliUsageError(
      `Expected --handler ${path} to export a function as default or as "redrive", got ${typeof handler}`,
    );
  }
  return {
    handler: handler as RedriveHandler,
    close: typeof mod.close === 'function' ? (mod.close as () => unknown) : undefined,
  };
}
