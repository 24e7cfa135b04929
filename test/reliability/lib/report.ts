import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './child.ts';

/** What one scenario did and found; `lost` and `duplicated` must be 0 for `ok`. */
export interface ScenarioResult {
  scenario: string;
  iterations: number;
  faults: number;
  rowsChecked: number;
  lost: number;
  duplicated: number;
  ok: boolean;
  /** Why it failed, or notes worth reading. */
  notes: string[];
  seconds: number;
  extra?: Record<string, number | string>;
}

export function printTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'iterations', 'faults injected', 'rows checked', 'lost', 'duplicated', 'result', 's'];
  const rows = results.map((r) => [
    r.scenario,
    String(r.iterations),
    String(r.faults),
    String(r.rowsChecked),
    String(r.lost),
    String(r.duplicated),
    r.ok ? 'pass' : 'FAIL',
    r.seconds.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function writeResults(results: readonly ScenarioResult[], seed: number): string {
  const file = join(ROOT, 'bench', 'results', 'reliability.json');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  // Scenarios run separately (RELIABILITY_ONLY) keep the other scenarios' latest figures.
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { cases?: Record<string, unknown> })
    : {};
  const cases: Record<string, unknown> = { ...previous.cases };
  for (const r of results) {
    cases[r.scenario] = {
      iterations: r.iterations,
      faults: r.faults,
      rows_checked: r.rowsChecked,
      lost: r.lost,
      duplicated: r.duplicated,
      ok: r.ok,
      seconds: Math.round(r.seconds),
      notes: r.notes,
      ...r.extra,
    };
  }
  const doc = {
    name: 'reliability',
    seed,
    at: new Date().toISOString(),
    env: { node: process.version, cpus: cpus().length },
    cases,
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}
