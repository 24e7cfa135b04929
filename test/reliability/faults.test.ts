// Connection faults, short version (the full run injects more than 100).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivatePostgres, startPrivatePostgres } from './lib/servers.ts';
import { faultsScenario } from './scenarios/faults.ts';

let server: PrivatePostgres | undefined;
beforeAll(async () => {
  server = await startPrivatePostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

// One after the other: the PostgreSQL restart of one would otherwise hit the other.
describe.each(['pg', 'redis'] as const)('connection faults (%s state)', (mode) => {
  it('terminated backends, resets, latency, black-holes and server restarts: same final state, or a loud failure', async () => {
    const result = await faultsScenario({ mode, runs: 6, seed: 21, server });
    expect(result.notes.filter((n) => !n.startsWith('injected') && !n.startsWith('note:'))).toEqual([]);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, ok: true });
    expect(result.faults).toBeGreaterThanOrEqual(6);
  }, 300_000);
});
