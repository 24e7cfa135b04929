import { type Classification, type Clock, InvalidOptionError, type Logger } from '@pipewright/core';
import type { OtelApiLike, OtelTracerLike } from '../clients.ts';
import type { Backend } from './backend.ts';
import { createStepHandles, type PipelineHandles, type StepHandles } from './steps.ts';

/** The shared state behind one `PipelineMetrics` and its runs. */
export interface MetricsCore {
  readonly pipeline: string;
  readonly backends: readonly Backend[];
  readonly pipelineHandles: PipelineHandles;
  /** Wall-clock time for timestamps (epoch ms). */
  readonly clock: Clock;
  /** The time source for durations: `performance.now()` by default, the injected clock's `now()` otherwise. */
  readonly durationNow: () => number;
  readonly classify: (error: unknown) => Classification;
  readonly logger: Logger;
  readonly onError: (error: unknown) => void;
  readonly tracer: OtelTracerLike | undefined;
  readonly api: OtelApiLike | undefined;
  readonly maxSteps: number;
  readonly steps: Map<string, StepHandles>;
}

export const OVERFLOW_STEP = '_overflow';

/** Bounded, printable step names: a record id used as a step name is refused here, not in Prometheus. */
const STEP_NAME = /^[^\p{Cc}]{1,128}$/u;

/** The handles of a step, created on first use; the number of distinct steps is capped (cardinality). */
export function stepHandles(core: MetricsCore, step: string): StepHandles {
  const known = core.steps.get(step);
  if (known) return known;
  if (typeof step !== 'string' || !STEP_NAME.test(step)) {
    throw new InvalidOptionError('step', 'a name of 1 to 128 printable characters', step);
  }
  if (core.steps.size >= core.maxSteps) {
    // Observability never breaks the job: report once, then fold further steps into one series.
    const overflow = core.steps.get(OVERFLOW_STEP);
    if (!overflow) {
      core.onError(
        new InvalidOptionError('step', `one of at most ${core.maxSteps} distinct step names (maxSteps)`, step),
      );
    }
    const handles = overflow ?? createStepHandles(core.backends, core.pipeline, OVERFLOW_STEP);
    core.steps.set(OVERFLOW_STEP, handles);
    return handles;
  }
  const handles = createStepHandles(core.backends, core.pipeline, step);
  core.steps.set(step, handles);
  return handles;
}
