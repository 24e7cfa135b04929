// The database half of the demo: shop.orders → warehouse.orders with incrementalSync().
import { FatalError, type SqlClient } from '@pipewright/core';
import type { DeadLetterQueue } from '@pipewright/dlq';
import { type IncrementalSyncResult, incrementalSync, type StepContext } from '@pipewright/pipeline';
import { bigintId, decimalString, isoTimestamp } from '@pipewright/quality';
import type { StateStore } from '@pipewright/watermark';
import { defineTable } from '@pipewright/writers';
import { z } from 'zod';

export const Order = z.object({
  id: bigintId(),
  customer_id: bigintId(),
  amount: decimalString({ scale: 2 }),
  currency: z.enum(['EUR', 'USD', 'GBP']),
  status: z.enum(['new', 'paid', 'shipped', 'cancelled']),
  updated_at: isoTimestamp(),
});

export function ordersTable(schema: string): ReturnType<typeof defineTable> {
  return defineTable({
    table: { schema, name: 'orders' },
    columns: {
      id: 'bigint',
      customer_id: 'bigint',
      amount: 'numeric(18,2)',
      currency: 'text',
      status: 'text',
      updated_at: 'timestamptz',
    },
    key: 'id',
  });
}

export interface OrdersRun {
  pageSize: number;
  /** Throw inside this page's transaction, before its commit (a simulated crash). */
  crashAtPage?: number;
  /** Called after each committed page (the shop keeps writing; progress bars). */
  onPage?: (pageIndex: number, read: number) => Promise<void> | void;
}

export async function syncOrders(
  ctx: StepContext,
  deps: { sql: SqlClient; state: StateStore; dlq: DeadLetterQueue; shop: string; warehouse: string },
  run: OrdersRun,
): Promise<IncrementalSyncResult> {
  let read = 0;
  const pending: Promise<void>[] = [];
  const result = await incrementalSync({
    sql: deps.sql,
    name: 'orders',
    source: { table: { schema: deps.shop, name: 'orders' } },
    target: ordersTable(deps.warehouse),
    schema: Order,
    key: 'id',
    cursor: 'updated_at',
    state: deps.state,
    pageSize: run.pageSize,
    // On a server shared with unrelated long transactions (a test server), DEMO_WAIT_FOR_IN_FLIGHT=false skips
    // the database-wide wait; your own jobs keep the default.
    waitForInFlight: process.env.DEMO_WAIT_FOR_IN_FLIGHT !== 'false',
    deadLetters: deps.dlq,
    context: ctx,
    beforeCommit: async (_tx, page) => {
      if (page.index === run.crashAtPage) {
        throw new FatalError(`simulated crash in page ${page.index}, after the write, before the commit`);
      }
    },
    onPage: (page) => {
      read += page.read;
      pending.push(Promise.resolve(run.onPage?.(page.index, read)));
    },
  });
  await Promise.all(pending);
  return result;
}
