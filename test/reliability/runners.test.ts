// Concurrent runners, short version (the full one is `npm run reliability`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivatePostgres, startPrivatePostgres } from './lib/servers.ts';
import { runnersScenario } from './scenarios/runners.ts';

let server: PrivatePostgres | undefined;
beforeAll(async () => {
  server = await startPrivatePostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe.concurrent.each(['pipeline', 'watermark'] as const)('concurrent runners (%s lock)', (lock) => {
  it('four simultaneous starts: one runs, three are refused; a worker frozen past its lease is fenced', async () => {
    const result = await runnersScenario({ lock, races: 2, pauses: 1, seed: 7, pgUrl: server?.url });
    expect(result.notes.slice(0, -1)).toEqual([]);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, ok: true, extra: { fenced: 1 } });
    expect(result.extra?.refused).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
