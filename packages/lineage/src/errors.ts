import { describeValue, PipewrightError } from '@pipewright/core';

/** A value handed to an event, facet, naming or graph builder is not what OpenLineage accepts. */
export class InvalidLineageInputError extends PipewrightError {
  /** Which input was refused, e.g. `job.name`. */
  readonly field: string;
  constructor(field: string, expected: string, received: unknown) {
    super('PW_LINEAGE_INVALID_INPUT', `Expected \`${field}\` to be ${expected}, got ${describeValue(received)}`, {
      kind: 'fatal',
    });
    this.field = field;
  }
}

/** An endpoint answered with a non-2xx status. Classified by core's HTTP rule (429/5xx are transient). */
export class LineageHttpError extends PipewrightError {
  readonly status: number;
  /** Response headers (lower-case names), for `Retry-After`. */
  readonly headers: Record<string, string>;
  constructor(url: string, status: number, headers: Record<string, string>, body: string) {
    super('PW_LINEAGE_HTTP', `OpenLineage endpoint ${url} answered ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.status = status;
    this.headers = headers;
  }
}

/** Some events of a batch could not be delivered; `failedEvents` says which, `cause` the last reason. */
export class LineageDeliveryError extends PipewrightError {
  readonly failedEvents: readonly unknown[];
  constructor(transport: string, failedEvents: readonly unknown[], cause: unknown) {
    super(
      'PW_LINEAGE_DELIVERY',
      `${transport} transport could not deliver ${failedEvents.length} event(s): ${describeValue(cause)}`,
      { cause },
    );
    this.failedEvents = failedEvents;
  }
}

/** Events were dropped because the emitter's buffer was full or the emitter was closed. */
export class LineageDroppedError extends PipewrightError {
  readonly dropped: number;
  readonly reason: 'overflow' | 'closed';
  constructor(dropped: number, reason: 'overflow' | 'closed') {
    super(
      'PW_LINEAGE_DROPPED',
      reason === 'overflow'
        ? `Dropped ${dropped} lineage event(s): the buffer was full`
        : `Dropped ${dropped} lineage event(s): the emitter is closed`,
    );
    this.dropped = dropped;
    this.reason = reason;
  }
}
