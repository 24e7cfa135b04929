/** What a notifier is told when a run fails (or recovers after a failure). */
export interface Alert {
  type: 'failure' | 'recovery';
  pipeline: string;
  runId: string;
  /** The first step that failed (failures only). */
  step: string | undefined;
  /** The error message of that step, or of the run (failures only). */
  error: string | undefined;
  startedAt: Date;
  finishedAt: Date;
  /** A link to the run in your own tooling, when `alerts.runUrl` is set. */
  runUrl: string | undefined;
  /** Text for that link. */
  linkText: string;
}

/** Anything that can deliver an alert: the webhook notifier, e-mail, a pager… Rejecting is reported, never raised. */
export interface Notifier {
  /** A name for the run result and logs. @default 'notifier' */
  readonly name?: string;
  notify(alert: Alert, options: { signal?: AbortSignal }): Promise<void>;
}

/** The outcome of one notifier for one alert, listed in the run result. */
export interface AlertDelivery {
  notifier: string;
  type: Alert['type'];
  delivered: boolean;
  error: Error | undefined;
}
