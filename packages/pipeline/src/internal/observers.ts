import type { Logger } from '@pipewright/core';
import type { JobOptions } from '../job.ts';
import type { LineageRunLike, RunMetricsLike, StepMetricsLike } from '../types.ts';
import { safely } from './safely.ts';

export interface Observers {
  metrics: StepMetricsLike | undefined;
  lineage: LineageRunLike | undefined;
  finish(error: Error | undefined): Promise<void>;
}

/** Opens the run in the user's metrics and lineage clients; their failures are logged, never raised. */
export function startObservers(pipeline: string, runId: string, options: JobOptions, logger: Logger): Observers {
  let metricsRun: ReturnType<RunMetricsLike['startRun']> | undefined;
  let lineageRun: LineageRunLike | undefined;
  safely(logger, 'metrics.startRun', () => {
    metricsRun = options.metrics?.startRun({ runId });
  });
  safely(logger, 'lineage.startRun', () => {
    lineageRun = options.lineage?.startRun(pipeline, { runId });
  });
  return {
    metrics: metricsRun,
    lineage: lineageRun,
    async finish(error) {
      safely(logger, 'lineage run end', () => (error ? lineageRun?.fail(error) : lineageRun?.complete()));
      try {
        await metricsRun?.finish(error);
      } catch (finishError) {
        logger.warn({ err: finishError }, 'metrics run finish failed');
      }
    },
  };
}
