import { PipewrightError } from '@pipewright/core';

/** A metric name is already registered in the prom-client registry with a different type or labels. */
export class MetricConflictError extends PipewrightError {
  readonly metric: string;
  constructor(metric: string, expected: string, found: string) {
    super(
      'PW_METRIC_CONFLICT',
      `Metric "${metric}" is already registered as ${found}; @pipewright/metrics needs ${expected}. ` +
        'Rename the other metric or use a separate registry.',
      { kind: 'fatal' },
    );
    this.metric = metric;
  }
}

/**
 * The Pushgateway answered a push or delete with an error status, or could not be reached. `status` carries the
 * HTTP status, so core's `classify()` treats 5xx/429 as transient and other 4xx as fatal.
 */
export class PushgatewayError extends PipewrightError {
  readonly url: string;
  readonly status: number | undefined;
  constructor(method: string, url: string, status: number | undefined, detail: string, cause?: unknown) {
    super(
      'PW_PUSHGATEWAY',
      status === undefined
        ? `Pushgateway ${method} ${url} failed: ${detail}`
        : `Pushgateway ${method} ${url} answered ${status}: ${detail}`,
      { cause },
    );
    this.url = url;
    this.status = status;
  }
}
