// A local paginated HTTP API that behaves like a real one: keyset pages, 429 with Retry-After, occasional 503s
// and a request that hangs past the client's timeout, a field that appears half-way through, malformed records.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiCustomer {
  id: number;
  name: string;
  email: string;
  country: string;
  updated_at: string;
  loyalty_tier?: string;
}

export interface ApiStats {
  requests: number;
  throttled: number;
  unavailable: number;
  hung: number;
}

export interface Api {
  url: string;
  stats: ApiStats;
  /** Every customer the API holds, malformed ones included. */
  customers: readonly ApiCustomer[];
  close(): Promise<void>;
}

const COUNTRIES = ['FR', 'DE', 'NL', 'ES', 'IT', 'BE'];

/** Deterministic customers: one in 40 is malformed; from the middle on, records carry a new `loyalty_tier`. */
export function makeCustomers(count: number, start = Date.UTC(2026, 10, 1)): ApiCustomer[] {
  return Array.from({ length: count }, (_, i) => {
    const id = i + 1;
    const customer: ApiCustomer = {
      id,
      name: `Customer ${id}`,
      email: id % 40 === 7 ? `customer${id}.example.com` : `customer${id}@example.com`,
      country: id % 40 === 23 ? 'France' : (COUNTRIES[id % COUNTRIES.length] as string),
      updated_at: new Date(start + id * 60_000).toISOString(),
    };
    if (id > count / 2) customer.loyalty_tier = id % 3 === 0 ? 'gold' : 'silver';
    return customer;
  });
}

/**
 * Starts the API on 127.0.0.1. `GET /customers?after=<updated_at>|<id>&limit=<n>` returns
 * `{ data, next }` in (updated_at, id) order. Faults come on a fixed schedule of request numbers so every run of
 * the demo sees the same story: 429 on the 2nd request, a hang on the 3rd, 503 on every 5th.
 */
export async function startApi(options: { customers: number; faults?: boolean; hangMs?: number }): Promise<Api> {
  const customers = makeCustomers(options.customers);
  const stats: ApiStats = { requests: 0, throttled: 0, unavailable: 0, hung: 0 };
  const faults = options.faults ?? true;
  const server: Server = createServer((req, res) => {
    const n = ++stats.requests;
    const url = new URL(req.url ?? '/', 'http://api');
    if (url.pathname !== '/customers') {
      res.writeHead(404).end();
      return;
    }
    if (faults && n === 2) {
      stats.throttled++;
      res.writeHead(429, { 'retry-after': '0.2', 'content-type': 'application/json' }).end('{"error":"slow down"}');
      return;
    }
    if (faults && n % 5 === 0) {
      stats.unavailable++;
      res.writeHead(503).end('upstream unavailable');
      return;
    }
    if (faults && n === 3) {
      stats.hung++;
      const timer = setTimeout(() => res.destroy(), options.hangMs ?? 3000);
      req.on('close', () => clearTimeout(timer));
      return;
    }
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 500);
    const after = url.searchParams.get('after');
    let from = 0;
    if (after) {
      const [at, id] = after.split('|');
      from = customers.findIndex((c) => c.updated_at > (at as string) || (c.updated_at === at && c.id > Number(id)));
      if (from < 0) from = customers.length;
    }
    const data = customers.slice(from, from + limit);
    const last = data.at(-1);
    const next = last && from + limit < customers.length ? `${last.updated_at}|${last.id}` : null;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, next }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    customers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
