import { writeSync } from 'node:fs';
import type { SqlClient } from '@pipewright/core';

/** The phase a job is in; every SQL call made through a traced client reports it as an `@<phase>` event. */
export const tracer: { phase: string } = { phase: 'idle' };

/** Reports an event on stdout synchronously, so it is out before the work it announces starts. */
export function emit(event: string): void {
  writeSync(1, `@${event}\n`);
}

/** Sets the phase and reports it. */
export function enter(phase: string): void {
  tracer.phase = phase;
  emit(phase);
}

/**
 * Wraps a SqlClient so each statement, COPY and transaction commit reports the current phase before it is sent:
 * the harness can then kill the process while that very statement is on the wire. A COPY reports `copy`.
 */
export function traced(inner: SqlClient, nested = false): SqlClient {
  return {
    get kind() {
      return inner.kind;
    },
    get capabilities() {
      return inner.capabilities;
    },
    get inTransaction() {
      return inner.inTransaction;
    },
    query(text, params) {
      emit(tracer.phase);
      return inner.query(text, params);
    },
    exec(script) {
      emit(tracer.phase);
      return inner.exec(script);
    },
    transaction(fn, options) {
      return inner.transaction(async (tx) => {
        const result = await fn(traced(tx, true));
        // The COMMIT (or a savepoint's RELEASE) is sent right after this event.
        emit(nested ? 'release' : 'commit');
        return result;
      }, options);
    },
    stream(text, params, options) {
      emit(tracer.phase);
      return inner.stream(text, params, options);
    },
    copyFrom(copySql, source) {
      emit('copy');
      return inner.copyFrom(copySql, source);
    },
    copyTo(copySql) {
      emit(tracer.phase);
      return inner.copyTo(copySql);
    },
  } as SqlClient;
}
