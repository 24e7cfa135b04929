import { ensureError, InvalidOptionError, type Logger } from '@pipewright/core';
import type { Alert, AlertDelivery, Notifier } from '../alerts/types.ts';
import type { JobRunResult } from '../job.ts';

export interface AlertOptions {
  /** Who to tell: `webhookNotifier(...)` or your own. */
  notifiers: Notifier | readonly Notifier[];
  /** Also alert when a run succeeds after a failed (or abandoned) one. @default false */
  onRecovery?: boolean;
  /** A link to the run in your tooling, e.g. a log search for the run id. @default none */
  runUrl?: (runId: string, pipeline: string) => string;
  /** The link's text. @default 'View run <runId>' */
  linkText?: (runId: string, pipeline: string) => string;
}

/** Delivers the alert a finished run calls for. Never throws: each notifier's outcome is returned. */
export async function sendAlerts(
  options: AlertOptions,
  result: JobRunResult,
  previous: string | undefined,
  logger: Logger,
): Promise<AlertDelivery[]> {
  const type =
    result.status === 'failed'
      ? 'failure'
      : result.status === 'succeeded' && options.onRecovery && (previous === 'failed' || previous === 'abandoned')
        ? 'recovery'
        : undefined;
  if (!type) return [];
  const failedStep = result.steps.find((s) => s.status === 'failed');
  let runUrl: string | undefined;
  let linkText = `View run ${result.runId}`;
  try {
    runUrl = options.runUrl?.(result.runId, result.pipeline);
    linkText = options.linkText?.(result.runId, result.pipeline) ?? linkText;
  } catch (error) {
    logger.warn({ err: error }, 'alerts.runUrl/linkText failed; sending the alert without a link');
  }
  const alert: Alert = {
    type,
    pipeline: result.pipeline,
    runId: result.runId,
    step: type === 'failure' ? failedStep?.name : undefined,
    error: type === 'failure' ? (result.error?.message ?? 'a step did not run') : undefined,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    runUrl,
    linkText,
  };
  const notifiers = Array.isArray(options.notifiers) ? options.notifiers : [options.notifiers];
  return Promise.all(
    notifiers.map(async (notifier: Notifier): Promise<AlertDelivery> => {
      const name = notifier.name ?? 'notifier';
      try {
        await notifier.notify(alert, {});
        return { notifier: name, type, delivered: true, error: undefined };
      } catch (thrown) {
        const error = ensureError(thrown);
        logger.error({ err: error, notifier: name, runId: result.runId }, 'alert not delivered');
        return { notifier: name, type, delivered: false, error };
      }
    }),
  );
}

export function assertAlertOptions(options: AlertOptions): void {
  const list = Array.isArray(options.notifiers) ? options.notifiers : [options.notifiers];
  list.forEach((n, i) => {
    if (typeof n?.notify !== 'function') throw new InvalidOptionError(`alerts.notifiers[${i}]`, 'a Notifier', n);
  });
}
