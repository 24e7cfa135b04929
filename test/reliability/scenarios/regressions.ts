// Bugs this suite found outside the hostile-input and fault scenarios, reproduced exactly; each must stay fixed
// (docs/reliability.md, "Bugs found").
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../lib/child.ts';
import type { ScenarioResult } from '../lib/report.ts';

const run = promisify(execFile);

/**
 * A job that retries with @pipewright/retry and has nothing else pending during the backoff: core's systemClock
 * unrefs its timers, so Node exits (code 0, nothing printed) in the middle of the retry.
 */
const RETRY_EXIT = `
import { retry } from '@pipewright/retry';
let n = 0;
retry(async () => {
  n++;
  if (n < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
  return 'ok';
}, { maxAttempts: 5, initialDelay: 100 }).then(
  (r) => console.log('finished', r, n),
  (e) => { console.log('failed', e.code); process.exitCode = 1; },
);
`;

export async function regressionsScenario(): Promise<ScenarioResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(ROOT, 'test', 'reliability', '.tmp-'));
  const problems: string[] = [];
  try {
    const file = join(dir, 'retry-exit.ts');
    writeFileSync(file, RETRY_EXIT);
    const { stdout } = await run(
      join(ROOT, 'node_modules', '.bin', 'node'),
      ['--conditions=@pipewright/source', file],
      {
        cwd: ROOT,
      },
    ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    if (!stdout.includes('finished ok 3')) {
      problems.push(
        `retry backoff does not keep the process alive: a retrying job exited mid-retry with code 0 and printed ${JSON.stringify(stdout)} (packages/core/src/clock.ts systemClock.setTimer unref)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    scenario: 'regressions',
    iterations: 1,
    faults: 0,
    rowsChecked: 0,
    lost: problems.length,
    duplicated: 0,
    ok: problems.length === 0,
    notes: problems,
    seconds: (performance.now() - started) / 1000,
  };
}
