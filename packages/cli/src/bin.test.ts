import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import { describe, expect, it } from 'vitest';
import { PG_URL } from '../../../test/helpers/env.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';

// End to end: the real bin, run from source by the repo's Node (a few tests only; the rest call main()).
const db = useTestDatabase();
const node = resolve('node_modules/.bin/node');
const bin = resolve('packages/cli/src/bin.ts');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  return new Promise((done) => {
    const child = execFile(
      file,
      args,
      { env: { PATH: process.env.PATH ?? '', PG_URL, ...options.env }, timeout: 20_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? '');
  });
}
const pipewright = (args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<Result> =>
  run(node, ['--conditions=@pipewright/source', bin, ...args], options);
/** Runs the bin inside a pseudo-terminal (util-linux `script`), typing `input`. */
const inTerminal = (args: string[], input: string, env = ''): Promise<Result> =>
  run('script', ['-qec', `${env} ${node} --conditions=@pipewright/source ${bin} ${args.join(' ')}`, '/dev/null'], {
    input,
  });

describe('the pipewright bin', () => {
  it('prints its version and exits 0; a usage error exits 2', async () => {
    expect(await pipewright(['--version'])).toMatchObject({ code: 0, stdout: '0.0.0\n' });
    const bad = await pipewright(['dlq', 'list', '--limit', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Expected --limit to be a positive integer, got "x"');
  });

  it('lists dead letters as JSON from a real process', async () => {
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table: 'bin_dl' });
    await dlq.setup();
    const { id } = await dlq.send({ pipeline: 'p', record: { n: 1n }, error: new Error('nope') });
    const result = await pipewright(['--schema', db.schema, 'dlq', 'list', '--table', 'bin_dl', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject([{ id, record: { n: '1' }, error: { message: 'nope' } }]);
  });

  it('exits 3 with one line when the server is unreachable', async () => {
    const result = await pipewright(['dlq', 'list'], { env: { PG_URL: 'postgres://u:TopSecret@127.0.0.1:1/x' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      'pipewright: Cannot connect to PostgreSQL at postgres://u:***@127.0.0.1:1/x: connection refused\n',
    );
    expect(result.stdout).toBe('');
  });

  it('asks for confirmation in a real terminal, colours its tables there, and honours NO_COLOR', async () => {
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table: 'pty_dl' });
    await dlq.setup();
    const { id } = await dlq.send({ pipeline: 'p', record: { n: 1 }, error: new Error('nope') });
    const args = ['--schema', db.schema, 'dlq', 'discard', id, '--table', 'pty_dl', '--reason', 'pty'];
    const declined = await inTerminal(args, 'n\n');
    expect(declined.code).toBe(1);
    expect(declined.stdout).toContain('Discard 1 dead letter(s)? [y/N]');
    expect((await dlq.get(id))?.state).toBe('pending');
    const accepted = await inTerminal(args, 'y\n');
    expect(accepted.code).toBe(0);
    expect((await dlq.get(id))?.state).toBe('discarded');
    expect(accepted.stdout).toContain('\u001b[1mRESULT');
    const plain = await inTerminal(['--schema', db.schema, 'dlq', 'list', '--table', 'pty_dl'], '', 'NO_COLOR=1');
    expect(plain.stdout).toMatch(/ID\s+STATE/);
    expect(plain.stdout).not.toContain('\u001b[');
  });
});
