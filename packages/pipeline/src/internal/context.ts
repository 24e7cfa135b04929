import { InvalidOptionError, type Logger, type SqlClient } from '@pipewright/core';
import type { StepContext, StepCounts } from '../types.ts';
import { addCounts, zeroCounts } from './counts.ts';
import type { StepDefinition } from './execute.ts';

/** The context a job hands to one step, with the hooks the runner uses to reset and read its counts. */
export function createContext(
  pipeline: string,
  runId: string,
  def: StepDefinition,
  signal: AbortSignal,
  fencingToken: bigint | undefined,
  checkLease: (tx: SqlClient) => Promise<void>,
  logger: Logger,
  outputs: ReadonlyMap<string, unknown>,
  dependencies: ReadonlyMap<string, readonly string[]>,
): {
  context: StepContext;
  reset: (attempt: number) => void;
  collected: () => { counts: StepCounts; checksum: string | undefined };
} {
  let counts = zeroCounts();
  let checksum: string | undefined;
  let attempt = 1;
  const upstream = new Set<string>();
  const stack = [...(dependencies.get(def.name) ?? [])];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    if (upstream.has(d)) continue;
    upstream.add(d);
    stack.push(...(dependencies.get(d) ?? []));
  }
  const context: StepContext = {
    pipeline,
    runId,
    step: def.name,
    get attempt() {
      return attempt;
    },
    signal,
    fencingToken,
    checkLease,
    logger: logger.child({ step: def.name }),
    count(extra) {
      addCounts(counts, extra);
    },
    setChecksum(value) {
      checksum = value;
    },
    output<T>(step: string): T {
      if (!upstream.has(step)) {
        throw new InvalidOptionError('output(step)', `the name of a step upstream of "${def.name}"`, step);
      }
      return outputs.get(step) as T;
    },
  };
  return {
    context,
    reset: (n) => {
      attempt = n;
      counts = zeroCounts();
      checksum = undefined;
    },
    collected: () => ({ counts, checksum }),
  };
}
