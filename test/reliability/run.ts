// `npm run reliability`: the full suite. Prints the table and writes bench/results/reliability.json.
// Env: RELIABILITY_KILLS (crash kills per state backend: default 600 PostgreSQL + 400 Redis = 1,000),
// RELIABILITY_RECORDS (hostile records, default 100,000), RELIABILITY_FAULT_RUNS (runs per faults scenario, default 40), RELIABILITY_SEED, RELIABILITY_ONLY (comma-separated scenario names), PG_URL / REDIS_URL (used only when a private
// server cannot be started).
import { printTable, type ScenarioResult, writeResults } from './lib/report.ts';
import { startPrivatePostgres } from './lib/servers.ts';
import { crashScenario } from './scenarios/crash.ts';
import { faultsScenario } from './scenarios/faults.ts';
import { hostileScenario } from './scenarios/hostile.ts';
import { regressionsScenario } from './scenarios/regressions.ts';
import { runnersScenario } from './scenarios/runners.ts';
import { secretsScenario } from './scenarios/secrets.ts';

const seed = Number(process.env.RELIABILITY_SEED ?? 20261121);
const kills = Number(process.env.RELIABILITY_KILLS ?? 1000);
const only = process.env.RELIABILITY_ONLY?.split(',').map((s) => s.trim());
const wanted = (name: string): boolean => !only || only.some((o) => name.startsWith(o));
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

const server = await startPrivatePostgres();
log(server ? `private PostgreSQL on port ${server.port}` : 'initdb unavailable: using the shared PG_URL');
const results: ScenarioResult[] = [];
try {
  if (wanted('crash_pg')) {
    results.push(await crashScenario({ mode: 'pg', kills: Math.ceil(kills * 0.6), seed, pgUrl: server?.url, log }));
    log(`crash_pg done`);
  }
  if (wanted('crash_redis')) {
    results.push(
      await crashScenario({ mode: 'redis', kills: Math.floor(kills * 0.4), seed: seed + 1, pgUrl: server?.url, log }),
    );
    log(`crash_redis done`);
  }
  for (const lock of ['pipeline', 'watermark'] as const) {
    if (!wanted(`runners_${lock}`)) continue;
    results.push(await runnersScenario({ lock, races: 10, pauses: 5, seed: seed + 2, pgUrl: server?.url }));
    log(`runners_${lock} done`);
  }
  if (wanted('hostile_input')) {
    const records = Number(process.env.RELIABILITY_RECORDS ?? 100_000);
    const r = await hostileScenario({ records, seed, pgUrl: server?.url });
    results.push(r);
    log('hostile_input done');
  }
  if (wanted('injection_secrets')) {
    results.push(await secretsScenario({ seed, server }));
    log('injection_secrets done');
  }
  for (const mode of ['pg', 'redis'] as const) {
    if (!wanted(`faults_${mode}`)) continue;
    const runs = Number(process.env.RELIABILITY_FAULT_RUNS ?? 40);
    results.push(await faultsScenario({ mode, runs, seed: seed + 3, server }));
    log(`faults_${mode} done`);
  }
  if (wanted('regressions')) results.push(await regressionsScenario());
} finally {
  await server?.stop();
}
process.stdout.write(`\n${printTable(results)}\n\n`);
for (const r of results) for (const note of r.notes) process.stdout.write(`${r.scenario}: ${note}\n`);
process.stdout.write(`\nwrote ${writeResults(results, seed)}\n`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
