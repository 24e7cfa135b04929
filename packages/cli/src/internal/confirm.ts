import { createInterface } from 'node:readline';
import { CliUsageError } from '../errors.ts';
import type { CliIo } from './io.ts';

/**
 * Asks before a change: `--yes` skips the question; on a terminal the user must answer y/yes; without a
 * terminal (a script, a pipe) the change is refused, so nothing is ever changed by accident.
 */
export async function confirm(io: CliIo, question: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (io.stdin.isTTY !== true) {
    throw new CliUsageError(`${question.replace(/\?$/, '')}: refused without --yes (stdin is not a terminal)`);
  }
  io.stderr.write(`${question} [y/N] `);
  const answer = await readLine(io.stdin);
  return /^\s*y(es)?\s*$/i.test(answer ?? '');
}

function readLine(stdin: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: stdin, terminal: false });
    let done = false;
    const finish = (line: string | undefined): void => {
      if (done) return;
      done = true;
      rl.close();
      resolve(line);
    };
    rl.once('line', finish);
    rl.once('close', () => finish(undefined));
  });
}
