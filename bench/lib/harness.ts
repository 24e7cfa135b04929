import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Benchmark size and rounds from the environment (see shared BENCHMARKS.md). */
export function benchScale(defaultScale: number): number {
  const value = Number(process.env.BENCH_SCALE ?? defaultScale);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`BENCH_SCALE must be a positive integer, got ${process.env.BENCH_SCALE}`);
  return value;
}

export function benchRuns(): number {
  const value = Number(process.env.BENCH_RUNS ?? 3);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`BENCH_RUNS must be a positive integer, got ${process.env.BENCH_RUNS}`);
  return value;
}

export interface CaseResult {
  median_s: number;
  per_s?: number;
  ns_per_op?: number;
  [extra: string]: number | undefined;
}

export interface BenchCase {
  name: string;
  /** Runs once and returns how many operations (rows, calls) it performed. */
  run: () => Promise<number> | number;
  /** Optional reset before each round (not timed). */
  before?: () => Promise<void> | void;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs a warm-up round, then `runs` rounds with the cases interleaved (A B C A B C …); reports medians. */
export async function interleave(cases: readonly BenchCase[], runs: number): Promise<Record<string, CaseResult>> {
  const samples = new Map<string, { seconds: number[]; ops: number }>();
  for (let round = 0; round <= runs; round++) {
    for (const benchCase of cases) {
      await benchCase.before?.();
      (globalThis as { gc?: () => void }).gc?.();
      const start = process.hrtime.bigint();
      const ops = await benchCase.run();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (round === 0) continue; // warm-up
      const entry = samples.get(benchCase.name) ?? { seconds: [], ops };
      entry.seconds.push(seconds);
      samples.set(benchCase.name, entry);
    }
  }
  const results: Record<string, CaseResult> = {};
  for (const [name, { seconds, ops }] of samples) {
    const median_s = median(seconds);
    results[name] = { median_s, per_s: ops / median_s, ns_per_op: (median_s * 1e9) / ops };
  }
  return results;
}

export interface BenchReport {
  name: string;
  scale: number;
  runs: number;
  env: Record<string, string | number>;
  cases: Record<string, CaseResult>;
  ratios: Record<string, number>;
}

/** Prints a table and writes bench/results/<name>.json. */
export function report(result: BenchReport): void {
  const env = { node: process.version, cpus: cpus().length, ...result.env };
  const full = { ...result, env };
  console.log(`\n${result.name} — scale ${result.scale}, ${result.runs} runs, ${JSON.stringify(env)}`);
  console.table(
    Object.fromEntries(
      Object.entries(result.cases).map(([name, c]) => [
        name,
        Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])),
      ]),
    ),
  );
  for (const [name, value] of Object.entries(result.ratios)) console.log(`  ratios.${name} = ${round(value)}`);
  const dir = join(import.meta.dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${result.name}.json`), `${JSON.stringify(full, null, 2)}\n`);
}

function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(4));
}
