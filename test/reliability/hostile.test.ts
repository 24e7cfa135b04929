// Hostile input, short version: 5,000 generated records (the full run: 100,000), including the inputs that once
// broke a package (lone surrogates, 5,000-deep nesting; see docs/reliability.md, "Bugs found").
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PrivatePostgres, startPrivatePostgres } from './lib/servers.ts';
import { hostileScenario } from './scenarios/hostile.ts';

let server: PrivatePostgres | undefined;
beforeAll(async () => {
  server = await startPrivatePostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

it('every hostile record is loaded verbatim or dead-lettered with a reason; no crash, no pollution', async () => {
  const result = await hostileScenario({ records: 5000, seed: 11, pgUrl: server?.url });
  expect(result.notes.slice(0, -1)).toEqual([]);
  expect(result).toMatchObject({ iterations: 5000, rowsChecked: 5000, lost: 0, duplicated: 0, ok: true });
  // Both paths were exercised: validation and the database refused some, and plenty loaded.
  expect(result.extra?.loaded).toBeGreaterThan(1000);
  expect(result.extra?.dead_lettered).toBeGreaterThan(1000);
  expect(result.extra?.refused_by_database).toBeGreaterThan(0);
}, 300_000);
