export type MonitorName = 'freshness' | 'volume' | 'dead_letter_rate';

/** `warning` is a data-quality issue worth a ticket; `broken` is a page. */
export type MonitorStatus = 'healthy' | 'warning' | 'broken';

/** What a monitor concluded, and why. */
export interface MonitorVerdict {
  readonly monitor: MonitorName;
  /** The dataset label (the table name unless you chose one). */
  readonly dataset: string;
  readonly status: MonitorStatus;
  /**
   * The measured value: age in seconds (freshness), last-24-hours / 7-day daily average (volume), dead letters /
   * processed (dead-letter rate). `null` when it cannot be computed (empty table, no baseline).
   */
  readonly value: number | null;
  /** A sentence for logs and alerts. */
  readonly message: string;
}

/** The gauge value of a status: 0 healthy, 1 warning, 2 broken. */
export const STATUS_VALUE: Readonly<Record<MonitorStatus, number>> = { healthy: 0, warning: 1, broken: 2 };

/** Where a monitor's verdict goes: `PipelineMetrics` implements this. */
export interface MonitorSink {
  observeMonitor(verdict: MonitorVerdict): void;
}
