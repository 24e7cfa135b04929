// The operational database the demo extracts from: `shop.orders`, seeded deterministically, with some malformed
// rows (as real data has), and a writer that keeps updating orders while the sync runs.
import { quoteIdentifier, type SqlClient } from '@pipewright/core';
import { seededRandom } from '../../bench/lib/records.ts';

const STATUSES = ['new', 'paid', 'shipped', 'cancelled'];
const CURRENCIES = ['EUR', 'USD', 'GBP'];

/** Creates `<schema>.orders` with `count` orders; one in 50 has a status or currency the warehouse refuses. */
export async function seedOrders(sql: SqlClient, schema: string, count: number, now: number): Promise<void> {
  const s = quoteIdentifier(schema);
  await sql.exec(`
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.orders (
      id bigint PRIMARY KEY,
      customer_id bigint NOT NULL,
      amount numeric(18,2) NOT NULL,
      currency text NOT NULL,
      status text NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS orders_updated_at_id ON ${s}.orders (updated_at, id);`);
  const random = seededRandom(7);
  const batch = 1000;
  for (let from = 1; from <= count; from += batch) {
    const ids: string[] = [];
    const customers: string[] = [];
    const amounts: string[] = [];
    const currencies: string[] = [];
    const statuses: string[] = [];
    const times: string[] = [];
    for (let id = from; id < Math.min(from + batch, count + 1); id++) {
      ids.push(String(id));
      customers.push(String(1 + Math.floor(random() * 200)));
      amounts.push((Math.floor(random() * 100_000) / 100).toFixed(2));
      currencies.push(id % 50 === 17 ? 'XXX' : (CURRENCIES[id % CURRENCIES.length] as string));
      statuses.push(id % 50 === 33 ? 'lost-in-transit' : (STATUSES[Math.floor(random() * STATUSES.length)] as string));
      // Spread over the last 30 days, ending a minute before now.
      times.push(new Date(now - 60_000 - Math.floor(((count - id) / count) * 30 * 86_400_000)).toISOString());
    }
    await sql.query(
      `INSERT INTO ${s}.orders (id, customer_id, amount, currency, status, updated_at)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::numeric[], $4::text[], $5::text[], $6::timestamptz[])
       ON CONFLICT (id) DO NOTHING`,
      [ids, customers, amounts, currencies, statuses, times],
    );
  }
}

/**
 * Moves `n` orders forward (status and `updated_at`), as the shop does all day long. The shop stamps times to the
 * millisecond: node-postgres hands `timestamptz` values to JavaScript as `Date`s, which hold milliseconds, so
 * microseconds would not survive the trip to the warehouse (the watermark itself keeps them, as text).
 */
export async function touchOrders(sql: SqlClient, schema: string, ids: readonly number[]): Promise<void> {
  await sql.query(
    `UPDATE ${quoteIdentifier(schema)}.orders
     SET status = CASE status WHEN 'new' THEN 'paid' WHEN 'paid' THEN 'shipped' ELSE status END, updated_at = date_trunc('milliseconds', now())
     WHERE id = ANY($1::bigint[])`,
    [ids.map(String)],
  );
}
