// Compiled by wrap.test.ts twice, with and without `experimentalDecorators`, then run. The decorator is passed
// in, so the emitted JavaScript imports nothing and runs from a temporary directory.
import type { Lineage, lineageRun } from '../index.ts';

export function build(decorator: typeof lineageRun, lineage: Lineage) {
  class OrdersJob {
    readonly prefix: string;
    constructor(prefix: string) {
      this.prefix = prefix;
    }

    @decorator(lineage)
    async sync(day: string): Promise<string> {
      if (day === 'bad') throw new Error(`no data for ${day}`);
      return `${this.prefix}:${day}`;
    }

    @decorator(lineage, 'orders.load', (table) => ({
      outputs: [{ namespace: 'postgres://db:5432', name: `shop.public.${table}` }],
    }))
    async load(table: unknown): Promise<number> {
      return String(table).length;
    }
  }
  return OrdersJob;
}
