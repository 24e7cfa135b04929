import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL } from '../../../test/helpers/env.ts';

// The example job end to end on the real PostgreSQL (CI also runs `npm run demo`, which defaults to PGlite).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = mkdtempSync(join(tmpdir(), 'pw-demo-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      join(root, 'node_modules/.bin/node'),
      ['--conditions=@pipewright/source', 'examples/orders-sync/main.ts'],
      {
        cwd: root,
        // The shared test server runs other suites' long transactions: skip the database-wide in-flight wait.
        env: {
          ...process.env,
          PG_URL,
          DEMO_OUT: out,
          DEMO_ORDERS: '1500',
          DEMO_CUSTOMERS: '300',
          DEMO_WAIT_FOR_IN_FLIGHT: 'false',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('exit', (code) => resolvePromise({ code, output }));
  });
}

describe('examples/orders-sync', () => {
  it('passes every one of its checks on PostgreSQL and writes lineage and metrics', async () => {
    const { code, output } = await runDemo();
    expect(output).toContain('Demo passed');
    expect(code).toBe(0);
    expect(output).not.toContain('FAIL');
    expect(output).toMatch(/ok {3}the warehouse equals every valid source order/);
    const events = readFileSync(join(out, 'lineage.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.some((e) => e.eventType === 'FAIL')).toBe(true);
    expect(events.filter((e) => e.job?.name === 'orders-sync' && e.eventType === 'START')).toHaveLength(5);
    expect(readFileSync(join(out, 'metrics.prom'), 'utf8')).toMatch(/pipewright_records_in_total\{[^}]*step="orders"/);
  }, 60_000);
});
