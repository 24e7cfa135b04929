import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL } from '../../../../test/helpers/env.ts';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { pgStateStore } from '../state/postgres.ts';

const db = useTestDatabase();
const root = join(import.meta.dirname, '..', '..', '..', '..');
const child = join(import.meta.dirname, '..', '..', 'test', 'crash-child.ts');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-watermark-crash-'));
  await pgStateStore(db.sql, { schema: db.schema }).migrate();
  await db.sql.exec(`CREATE TABLE ${db.qschema}.source (id int PRIMARY KEY, version int NOT NULL, updated_at timestamptz NOT NULL);
    INSERT INTO ${db.qschema}.source SELECT i, i % 5, '2026-01-01'::timestamptz + (i / 4) * interval '1 microsecond'
      FROM generate_series(1, 400) AS i;
    CREATE TABLE ${db.qschema}.target_tx (id int PRIMARY KEY, version int);
    CREATE TABLE ${db.qschema}.log_tx (id int);
    CREATE TABLE ${db.qschema}.target_file (id int PRIMARY KEY, version int);
    CREATE TABLE ${db.qschema}.log_file (id int);`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child once; SIGKILLs it a random 0–4 ms after its `killAfterPages`-th page. Resolves its exit code. */
function runChild(mode: 'tx' | 'file', killAfterPages: number | undefined): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      join(root, 'node_modules', '.bin', 'node'),
      ['--conditions=@pipewright/source', child, PG_URL, db.schema, mode, join(dir, 'state.json')],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let pages = 0;
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on('data', (chunk: Buffer) => {
      pages += chunk.length;
      if (killAfterPages !== undefined && pages >= killAfterPages && timer === undefined) {
        timer = setTimeout(() => proc.kill('SIGKILL'), Math.random() * 4);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0 && code !== null) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve(code);
    });
  });
}

describe.concurrent.each(['tx', 'file'] as const)('killed at random points (%s state)', (mode) => {
  it('ends with the same target as an uninterrupted run', async () => {
    const progressAtKill: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const code = await runChild(mode, 1 + Math.floor(Math.random() * 15));
      if (code !== null) break;
      const { rows } = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.qschema}.target_${mode}`);
      progressAtKill.push(rows[0]?.n as number);
    }
    expect(await runChild(mode, undefined)).toBe(0);
    // At least one kill landed in the middle of the extraction.
    expect(progressAtKill.some((n) => n > 0 && n < 400)).toBe(true);
    const diff = await db.sql.query(
      `SELECT * FROM ${db.qschema}.source s FULL JOIN ${db.qschema}.target_${mode} t USING (id)
       WHERE s.version IS DISTINCT FROM t.version`,
    );
    expect(diff.rows).toEqual([]);
    const { rows } = await db.sql.query<{ writes: number; distinct: number }>(
      `SELECT count(*)::int AS writes, count(DISTINCT id)::int AS distinct FROM ${db.qschema}.log_${mode}`,
    );
    expect(rows[0]?.distinct).toBe(400);
    // Data and state in one transaction: each row written exactly once despite the kills. With the state in a
    // file, a kill between the write and the commit re-delivers the page (at least once, idempotent effect).
    if (mode === 'tx') expect(rows[0]?.writes).toBe(400);
    else expect(rows[0]?.writes).toBeGreaterThanOrEqual(400);
  }, 60_000);
});
