// The API half of the demo: customers from a paginated HTTP API, with retries on 429/503/timeouts, validated at
// the boundary, drifting and malformed records dead-lettered, merged into the warehouse, and the API position
// committed in the same transaction as the rows.
import { RecordError, type SqlClient } from '@pipewright/core';
import type { DeadLetterQueue } from '@pipewright/dlq';
import type { StepContext } from '@pipewright/pipeline';
import { type DriftReport, isoTimestamp, validateBatch } from '@pipewright/quality';
import { RetryPolicy } from '@pipewright/retry';
import { incremental, type KeysetPosition, type StateStore } from '@pipewright/watermark';
import { defineTable, merge } from '@pipewright/writers';
import { z } from 'zod';
import type { ApiCustomer } from './api.ts';

export const Customer = z.object({
  id: z.number().int().positive(),
  name: z.string().min(1),
  email: z.email(),
  country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter ISO country code'),
  updated_at: isoTimestamp(),
});

export function customersTable(schema: string): ReturnType<typeof defineTable> {
  return defineTable({
    table: { schema, name: 'customers' },
    columns: { id: 'bigint', name: 'text', email: 'text', country: 'text', updated_at: 'timestamptz' },
    key: 'id',
  });
}

export interface CustomersResult {
  read: number;
  loaded: number;
  deadLettered: number;
  inserted: number;
  updated: number;
  retries: number;
  drift: DriftReport | undefined;
}

/** Pages of the API after `after`, each request retried (429 with Retry-After, 503, a 1 s timeout). */
async function* fetchCustomers(
  baseUrl: string,
  after: string | undefined,
  policy: RetryPolicy,
  signal: AbortSignal,
): AsyncGenerator<ApiCustomer> {
  let next = after;
  for (;;) {
    const url = `${baseUrl}/customers?limit=100${next ? `&after=${encodeURIComponent(next)}` : ''}`;
    const body = await policy.execute(
      async ({ signal: attemptSignal }) => {
        const response = await fetch(url, { signal: AbortSignal.any([attemptSignal, AbortSignal.timeout(1000)]) });
        if (!response.ok) {
          await response.arrayBuffer();
          throw Object.assign(new Error(`GET /customers: HTTP ${response.status}`), {
            status: response.status,
            response,
          });
        }
        return (await response.json()) as { data: ApiCustomer[]; next: string | null };
      },
      { signal },
    );
    yield* body.data;
    if (!body.next) return;
    next = body.next;
  }
}

export async function syncCustomers(
  ctx: StepContext,
  deps: { sql: SqlClient; api: string; state: StateStore; dlq: DeadLetterQueue; warehouse: string },
  onProgress: (read: number) => void,
): Promise<CustomersResult> {
  const result: CustomersResult = {
    read: 0,
    loaded: 0,
    deadLettered: 0,
    inserted: 0,
    updated: 0,
    retries: 0,
    drift: undefined,
  };
  const policy = new RetryPolicy({ maxAttempts: 6, initialDelay: 100, maxDelay: 2000 });
  policy.onRetry(() => {
    result.retries++;
  });
  const current = await deps.state.get('api.customers');
  const position = current?.position as KeysetPosition | undefined;
  const after = position ? `${new Date(position.cursor).toISOString()}|${position.key[0]}` : undefined;
  const table = customersTable(deps.warehouse);
  const pages = incremental(fetchCustomers(deps.api, after, policy, ctx.signal), {
    cursor: 'updated_at',
    key: 'id',
    state: deps.state,
    stateKey: 'api.customers',
    pageSize: 100,
    ordered: true,
  });
  for await (const page of pages) {
    const validation = await validateBatch(page.rows, Customer, {
      drift: 'quarantine', // a new field is held for review, not silently dropped or loaded
      onReject: async (rejected) => {
        await deps.dlq.sendMany(
          rejected.map((r) => ({
            record: r.record,
            error: new RecordError(r.reason),
            pipeline: ctx.pipeline,
            step: 'customers',
            runId: ctx.runId,
            source: { api: '/customers', key: (r.record as { id?: unknown }).id },
          })),
        );
        result.deadLettered += rejected.length;
      },
    });
    if (validation.drift.hasDrift) result.drift = validation.drift;
    await deps.sql.transaction(async (tx) => {
      const written = await merge(deps.sql, table, validation.valid, { tx });
      if (written.rejected.length > 0) throw new Error(`the database refused ${written.rejected.length} customers`);
      result.inserted += written.inserted;
      result.updated += written.updated;
      await ctx.checkLease(tx);
      // The API position commits in the same transaction as the rows (the state store is on this database).
      await page.commit(tx);
    });
    result.read += page.rows.length;
    result.loaded += validation.valid.length;
    onProgress(result.read);
  }
  ctx.count({ in: result.read, out: result.loaded, rejected: result.deadLettered, deadLettered: result.deadLettered });
  return result;
}
