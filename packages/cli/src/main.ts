import { isPipewrightError } from '@pipewright/core';
import { Command, CommanderError } from 'commander';
import { registerDlqRead } from './commands/dlq-read.ts';
import { registerDlqWrite } from './commands/dlq-write.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerLineage } from './commands/lineage.ts';
import { registerQuality } from './commands/quality.ts';
import { registerRuns } from './commands/runs.ts';
import { registerState } from './commands/state.ts';
import { EXIT } from './errors.ts';
import { Connections, isConnectFailure, passwordOf } from './internal/connect.ts';
import { examples, type Run } from './internal/context.ts';
import { type CliIo, scrubbed } from './internal/io.ts';
import { VERSION } from './version.ts';

const EXIT_CODES = `
Exit codes:
  0  ok
  1  a failure was found (failed run, failed check, doctor problem, redrive failures) or the prompt was declined
  2  usage error (bad arguments; a change refused without --yes when stdin is not a terminal)
  3  cannot connect (server unreachable, login refused) or the tables were never set up (missing migration)
  130  interrupted (Ctrl-C during a redrive: the entry in flight finished, the rest are untouched)

Environment: PG_URL, REDIS_URL (flags win), NO_COLOR. Passwords are never printed.
`;

function flagValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  const arg = argv[i] as string;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i + 1];
}

/** Builds the command tree for one call. */
export function buildProgram(run: Run): Command {
  const program = new Command('pipewright')
    .description('The on-call command line of Pipewright: dead letters, state, runs, lineage and quality.')
    .version(VERSION, '-V, --version')
    .option('--pg-url <url>', 'PostgreSQL URL (default: $PG_URL)')
    .option('--redis-url <url>', 'Redis URL (default: $REDIS_URL)')
    .option('--schema <name>', "schema of Pipewright's tables (default: each package's own)")
    .option('--connect-timeout <ms>', 'how long to wait for a server', '5000')
    .addHelpText('after', EXIT_CODES)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => run.io.stdout.write(text),
      writeErr: (text) => run.io.stderr.write(text),
    });
  const dlq = program
    .command('dlq')
    .description('dead letters: review, redrive, discard, purge')
    .addHelpText('after', examples('pipewright dlq stats --state pending,parked', 'pipewright dlq list --help'));
  registerDlqRead(dlq, run);
  registerDlqWrite(dlq, run);
  const group = (name: string, description: string, ...lines: string[]): Command =>
    program
      .command(name)
      .description(description)
      .addHelpText('after', examples(...lines));
  registerState(
    group('state', 'committed positions, rewinds and leases', 'pipewright state show', 'pipewright state leases'),
    run,
  );
  registerRuns(
    group(
      'runs',
      'the run audit: what ran, what failed, last success',
      'pipewright runs list --status failed',
      'pipewright runs last-success orders-sync',
    ),
    run,
  );
  registerLineage(group('lineage', 'lineage graphs', 'pipewright lineage graph --file lineage.ndjson'), run);
  registerQuality(
    group('quality', 'data quality reports', 'pipewright quality report orders-sync --file quality.ndjson'),
    run,
  );
  registerDoctor(program, run);
  // Every subcommand reports usage errors through the same override and output.
  const configure = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput({
        writeOut: (text) => run.io.stdout.write(text),
        writeErr: (text) => run.io.stderr.write(text),
      });
      sub.showHelpAfterError('(run with --help for usage)');
      configure(sub);
    }
  };
  configure(program);
  return program;
}

/**
 * Runs `pipewright` with `argv` (without the node and script paths) and returns the exit code. Nothing is
 * thrown: errors become one line on stderr, with every credential masked.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const pgUrl = flagValue(argv, '--pg-url') ?? io.env.PG_URL;
  const redisUrl = flagValue(argv, '--redis-url') ?? io.env.REDIS_URL;
  const secrets = [passwordOf(pgUrl), passwordOf(redisUrl)].filter((s): s is string => s !== undefined);
  const safeIo: CliIo = {
    ...io,
    stdout: scrubbed(io.stdout, () => secrets),
    stderr: scrubbed(io.stderr, () => secrets),
  };
  const timeout = Number(flagValue(argv, '--connect-timeout') ?? 5000);
  const conn = new Connections({
    pgUrl,
    redisUrl,
    connectTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 5000,
  });
  const run: Run = { io: safeIo, conn, code: EXIT.ok };
  try {
    await buildProgram(run).parseAsync([...argv], { from: 'user' });
    return run.code;
  } catch (error) {
    return report(safeIo, error);
  } finally {
    await conn.close();
  }
}

function report(io: CliIo, error: unknown): number {
  if (error instanceof CommanderError) {
    // commander printed the message (or the help); a group called without a subcommand exits non-zero
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const code = isPipewrightError(error) ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`pipewright: ${message}\n`);
  if (code === 'PW_CLI_USAGE' || code === 'PW_INVALID_OPTION' || code === 'PW_INVALID_IDENTIFIER') return EXIT.usage;
  if (code === 'PW_CLI_CONNECT' || code === 'PW_CLI_NOT_SET_UP' || isConnectFailure(error)) return EXIT.connect;
  if (io.env.PIPEWRIGHT_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return EXIT.failure;
}
