// The seeded short version of the crash-consistency scenario (the full one is `npm run reliability`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivatePostgres, startPrivatePostgres } from './lib/servers.ts';
import { crashScenario } from './scenarios/crash.ts';

const SEED = Number(process.env.RELIABILITY_SEED ?? 20261121);
let server: PrivatePostgres | undefined;

beforeAll(async () => {
  // A private cluster (when initdb is available) keeps other suites' transactions out of the in-flight wait.
  server = await startPrivatePostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe.concurrent('crash consistency: the sync SIGKILLed at seeded points, then restarted', () => {
  it('with the position in PostgreSQL (same transaction): 120 kills, nothing lost, nothing twice', async () => {
    const result = await crashScenario({ mode: 'pg', kills: 120, seed: SEED, pgUrl: server?.url });
    expect(result.notes.filter((n) => !n.startsWith('kills by phase'))).toEqual([]);
    expect(result).toMatchObject({ faults: 120, lost: 0, duplicated: 0, ok: true });
    expect(result.rowsChecked).toBeGreaterThan(1000);
  }, 600_000);

  it('with the position and dead letters in Redis (at least once, idempotent): 80 kills', async () => {
    const result = await crashScenario({ mode: 'redis', kills: 80, seed: SEED + 1, pgUrl: server?.url });
    expect(result.notes.filter((n) => !n.startsWith('kills by phase'))).toEqual([]);
    expect(result).toMatchObject({ faults: 80, lost: 0, duplicated: 0, ok: true });
  }, 600_000);

  it('self-test: a job that commits its position before its data is caught', async () => {
    const result = await crashScenario({
      mode: 'pg',
      kills: 15,
      seed: SEED + 2,
      pgUrl: server?.url,
      broken: 'position-first',
    });
    expect(result.ok).toBe(false);
    expect(result.lost).toBeGreaterThan(0);
  }, 600_000);
});
