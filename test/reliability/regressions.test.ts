// Bugs the suite found outside hostile input and faults, reproduced exactly; each must stay fixed.
import { expect, it } from 'vitest';
import { regressionsScenario } from './scenarios/regressions.ts';

it('a job whose only pending work is a retry backoff finishes instead of exiting mid-retry', async () => {
  const result = await regressionsScenario();
  expect(result.notes).toEqual([]);
  expect(result).toMatchObject({ lost: 0, ok: true });
}, 60_000);
