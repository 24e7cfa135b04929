// Injection and secrets (the same scenario runs in `npm run reliability`).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PrivatePostgres, startPrivatePostgres } from './lib/servers.ts';
import { secretsScenario } from './scenarios/secrets.ts';

let server: PrivatePostgres | undefined;
beforeAll(async () => {
  server = await startPrivatePostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

it('refuses hostile identifiers before any SQL, stores SQL-looking values verbatim, never leaks a password', async () => {
  const result = await secretsScenario({ seed: 3, server });
  const problems = result.notes.filter(
    (n) => !/^(good|wrong password|unreachable) run:|^cli doctor said|characters scanned/.test(n),
  );
  expect(problems).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.extra).toMatchObject({ leaks: 0 });
  expect(result.extra?.passed).toBe(result.extra?.cases);
  // The failing runs failed loudly, with a classified error, and produced output to scan.
  expect(result.notes).toEqual(
    expect.arrayContaining(['wrong password run: failed (28P01)', 'unreachable run: failed (ECONNREFUSED)']),
  );
}, 120_000);
