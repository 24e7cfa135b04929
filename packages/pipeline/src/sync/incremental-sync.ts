import { ensureError, InvalidOptionError, RecordError, systemClock } from '@pipewright/core';
import { type DriftReport, type Rejection, validateBatch } from '@pipewright/quality';
import { keysetPages } from '@pipewright/watermark';
import { merge, type RecordFailure } from '@pipewright/writers';
import { createRowChecksum } from '../checksum.ts';
import type { LineageRunLike } from '../types.ts';
import type { IncrementalSyncOptions, IncrementalSyncResult, SyncDeadLetter, SyncPage } from './types.ts';

/**
 * The incremental recipe in one call: keyset pages after the committed watermark → `validateBatch` → rejects to
 * the dead letters → `merge` → the new watermark committed in the same transaction as the data → metrics and
 * lineage. A crash at any point loses nothing and writes nothing twice: the next run resumes after the last
 * committed page, and the merge is idempotent.
 *
 * @example
 * await incrementalSync({ sql, name: 'orders', source: { table: 'shop.orders' }, target: orders, schema: Order,
 *   key: 'id', cursor: 'updated_at', state, deadLetters: dlq, context: ctx });
 */
export async function incrementalSync(options: IncrementalSyncOptions): Promise<IncrementalSyncResult> {
  validate(options);
  const { sql, name, context } = options;
  const started = systemClock.now();
  const keys = typeof options.key === 'string' ? [options.key] : [...options.key];
  const sourceName = 'table' in options.source ? String(options.source.table) : 'query';
  const checksum = createRowChecksum();
  const totals: IncrementalSyncResult = {
    pages: 0,
    read: 0,
    valid: 0,
    rejected: 0,
    deadLettered: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    position: undefined,
    drift: { hasDrift: false, newFields: [], missingFields: [], typeChanges: [] },
    checksum: checksum.digest(),
    durationMs: 0,
  };
  const deadLetter = async (rejects: SyncDeadLetter[]): Promise<number> => {
    if (rejects.length === 0) return 0;
    await options.onReject?.(rejects);
    await options.deadLetters?.sendMany(rejects);
    return rejects.length;
  };
  const letter = (record: unknown, reason: string, cause?: unknown): SyncDeadLetter => ({
    record,
    error: new RecordError(reason, { cause }),
    pipeline: context?.pipeline ?? name,
    step: name,
    runId: context?.runId,
    source: { ['table' in options.source ? 'table' : 'query']: sourceName, key: keyOf(record, keys) },
  });

  let lineageRun: LineageRunLike | undefined;
  try {
    lineageRun = options.lineage?.client.startRun(name, {
      inputs: options.lineage.inputs ?? [],
      outputs: options.lineage.outputs ?? [],
    });
  } catch (error) {
    context?.logger.warn({ err: error }, 'lineage startRun failed; syncing without lineage');
  }
  try {
    const pages = keysetPages<Record<string, unknown>>(sql, {
      source: options.source,
      cursor: options.cursor,
      key: options.key,
      state: options.state,
      stateKey: options.stateKey ?? name,
      pageSize: options.pageSize,
      lag: options.lag,
      waitForInFlight: options.waitForInFlight,
      inFlightTimeout: options.inFlightTimeout,
      signal: options.signal ?? context?.signal,
    });
    for await (const page of pages) {
      let rejectedHere: SyncDeadLetter[] = [];
      const validation = await validateBatch(page.rows, options.schema, {
        drift: options.drift,
        maxRejectRate: options.maxRejectRate,
        onReject: async (rejected: Rejection[]) => {
          rejectedHere = rejected.map((r) => letter(r.record, r.reason));
          // Before any threshold or drift error: a rejected record is never lost.
          totals.deadLettered += await deadLetter(rejectedHere);
        },
      });
      mergeDrift(totals.drift, validation.drift);
      const valid = validation.valid as Record<string, unknown>[];
      const summary: SyncPage = {
        index: page.index,
        read: page.rows.length,
        valid: valid.length,
        rejected: rejectedHere.length,
        deadLettered: rejectedHere.length,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        position: page.position,
      };
      await sql.transaction(async (tx) => {
        const written = await merge(sql, options.target, valid, { tx, version: options.version });
        const refused = written.rejected.map((f: RecordFailure<Record<string, unknown>>) =>
          letter(f.record, `refused by the database: ${f.reason}${f.code ? ` (${f.code})` : ''}`),
        );
        // Sent before the commit: after a crash they are sent again (idempotently), never lost.
        const sent = await deadLetter(refused);
        Object.assign(summary, {
          valid: valid.length - refused.length,
          rejected: summary.rejected + refused.length,
          deadLettered: summary.deadLettered + sent,
          inserted: written.inserted,
          updated: written.updated,
          unchanged: written.unchanged + written.superseded,
        });
        await context?.checkLease(tx);
        await options.beforeCommit?.(tx, summary);
        await page.commit(tx);
      });
      for (const row of valid) checksum.add(row);
      totals.pages++;
      totals.read += summary.read;
      totals.valid += summary.valid;
      totals.rejected += summary.rejected;
      totals.deadLettered += summary.deadLettered - rejectedHere.length;
      totals.inserted += summary.inserted;
      totals.updated += summary.updated;
      totals.unchanged += summary.unchanged;
      totals.position = page.position;
      report(options, summary);
    }
    totals.checksum = checksum.digest();
    totals.durationMs = systemClock.now() - started;
    context?.setChecksum(totals.checksum);
    if (lineageRun) guard(() => lineageRun?.complete());
    return totals;
  } catch (thrown) {
    const error = ensureError(thrown);
    if (lineageRun) guard(() => lineageRun?.fail(error));
    throw error;
  } finally {
    context?.count({
      in: totals.read,
      out: totals.valid,
      rejected: totals.rejected,
      deadLettered: totals.deadLettered,
    });
  }
}

function report(options: IncrementalSyncOptions, page: SyncPage): void {
  const metrics = options.metrics;
  guard(() =>
    metrics?.record(options.name, {
      in: page.read,
      out: page.valid,
      rejected: page.rejected,
      deadLettered: page.deadLettered,
    }),
  );
  const at = Date.parse(page.position.cursor);
  if (metrics?.setWatermark && Number.isFinite(at)) guard(() => metrics.setWatermark?.(options.name, at));
  guard(() => options.onPage?.(page));
}

function guard(fn: () => unknown): void {
  try {
    const result = fn();
    if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, () => {});
    }
  } catch {
    // Observers never break the sync.
  }
}

function keyOf(record: unknown, keys: readonly string[]): unknown {
  if (typeof record !== 'object' || record === null) return undefined;
  const values = keys.map((k) => {
    const v = (record as Record<string, unknown>)[k];
    return typeof v === 'bigint' ? v.toString() : v;
  });
  return values.length === 1 ? values[0] : values;
}

function mergeDrift(into: DriftReport, page: DriftReport): void {
  if (!page.hasDrift) return;
  into.hasDrift = true;
  for (const field of page.newFields) {
    const known = into.newFields.find((f) => f.name === field.name);
    if (known) known.count += field.count;
    else into.newFields.push({ ...field });
  }
  for (const field of page.missingFields) {
    const known = into.missingFields.find((f) => f.name === field.name);
    if (known) known.count += field.count;
    else into.missingFields.push({ ...field });
  }
  for (const change of page.typeChanges) {
    const known = into.typeChanges.find((f) => f.name === change.name);
    if (known) known.count += change.count;
    else into.typeChanges.push({ ...change });
  }
}

function validate(options: IncrementalSyncOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'an options object', options);
  }
  if (typeof options.sql?.transaction !== 'function') {
    throw new InvalidOptionError('sql', 'a SqlClient from createSqlClient()', options.sql);
  }
  if (typeof options.name !== 'string' || options.name.length === 0) {
    throw new InvalidOptionError('name', 'a non-empty string', options.name);
  }
  if (!options.deadLetters && !options.onReject) {
    throw new InvalidOptionError(
      'deadLetters',
      'a dead-letter queue (or an onReject callback): rejects must go somewhere',
      undefined,
    );
  }
  if (options.deadLetters && typeof options.deadLetters.sendMany !== 'function') {
    throw new InvalidOptionError('deadLetters', 'a DeadLetterQueue (with sendMany)', options.deadLetters);
  }
}
