/** The standard benchmark record (BENCHMARKS.md), generated deterministically from a seed. */
export interface StandardRecord {
  id: bigint;
  customer_id: bigint;
  amount: string;
  currency: string;
  status: string;
  updated_at: Date;
  payload: { channel: string; items: number; note: string };
}

const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'CHF'];
const STATUSES = ['new', 'paid', 'shipped', 'cancelled', 'refunded'];
const CHANNELS = ['web', 'app', 'store', 'phone'];

/** A small fast PRNG (mulberry32): the same seed gives the same records on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_TIME = Date.UTC(2026, 0, 1);

/** Record number `i` (1-based ids) for a given seed. */
export function standardRecord(i: number, random: () => number): StandardRecord {
  const cents = Math.floor(random() * 10_000_000);
  return {
    id: BigInt(i),
    customer_id: BigInt(1 + Math.floor(random() * 100_000)),
    amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    currency: CURRENCIES[Math.floor(random() * CURRENCIES.length)] as string,
    status: STATUSES[Math.floor(random() * STATUSES.length)] as string,
    updated_at: new Date(BASE_TIME + Math.floor(random() * 86_400_000 * 30)),
    payload: {
      channel: CHANNELS[Math.floor(random() * CHANNELS.length)] as string,
      items: 1 + Math.floor(random() * 9),
      note: `order ${i}`,
    },
  };
}

/** Yields `count` standard records starting at id `from`. */
export function* standardRecords(count: number, seed = 42, from = 1): Generator<StandardRecord> {
  const random = seededRandom(seed);
  for (let i = from; i < from + count; i++) yield standardRecord(i, random);
}

/** DDL of the standard record's table (without a schema prefix). */
export const STANDARD_TABLE_COLUMNS = `
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  amount numeric(18,2) NOT NULL,
  currency text NOT NULL,
  status text NOT NULL,
  updated_at timestamptz NOT NULL,
  payload jsonb NOT NULL`;
