import {
  createPostgresDeadLetterQueue,
  createRedisDeadLetterQueue,
  DEAD_LETTER_STATES,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterQueue,
  type DeadLetterState,
} from '@pipewright/dlq';
import type { Command } from 'commander';
import { CliUsageError } from '../errors.ts';
import { requireMigrated } from '../internal/connect.ts';
import type { Ctx } from '../internal/context.ts';
import { age, cut, parseDuration, table } from '../internal/format.ts';

/** Options that say where the queue is; every `dlq` subcommand takes them. */
export function queueOptions(command: Command): Command {
  return command
    .option('--backend <backend>', 'where the queue lives: postgres or redis', 'postgres')
    .option('--table <name>', 'PostgreSQL queue table', 'dead_letters')
    .option('--queue <name>', 'Redis queue name (its hash tag)', 'dead-letters')
    .option('--redis-prefix <prefix>', 'Redis key prefix of the queue', 'pw:dlq:');
}

/** Filter options shared by list, stats, redrive and discard. */
export function filterOptions(command: Command, withState = true): Command {
  command
    .option('--pipeline <name>', 'only this pipeline')
    .option('--step <name>', 'only this step')
    .option('--error-code <code>', 'only this error code (SQLSTATE, PW_…, ECONNRESET…)')
    .option('--run-id <id>', 'only failures of this run')
    .option('--older-than <age>', 'last failure at least this long ago (90s, 15m, 6h, 7d, 2w)')
    .option('--newer-than <age>', 'last failure at most this long ago');
  if (withState) command.option('--state <states>', `comma-separated: ${DEAD_LETTER_STATES.join(', ')}`);
  return command;
}

/** Opens the queue the options point at; a PostgreSQL queue must have been set up by the application. */
export async function openQueue(ctx: Ctx): Promise<DeadLetterQueue> {
  const backend = ctx.opts.backend;
  if (backend === 'redis') {
    const redis = await ctx.conn.redis();
    return createRedisDeadLetterQueue({
      redis,
      name: String(ctx.opts.queue),
      prefix: String(ctx.opts.redisPrefix),
      clock: ctx.clock,
    });
  }
  if (backend !== 'postgres') {
    throw new CliUsageError(`Expected --backend to be postgres or redis, got "${String(backend)}"`);
  }
  const sql = await ctx.conn.sql();
  const schema = ctx.schema('public');
  const table = String(ctx.opts.table);
  await requireMigrated(sql, schema, `dlq:${table}`, 'call setup() on the dead-letter queue in your application');
  return createPostgresDeadLetterQueue({ sql, schema, table, clock: ctx.clock });
}

/** Parses `--state a,b` against the queue's states. */
export function parseStates(text: unknown): DeadLetterState[] | undefined {
  if (text === undefined) return undefined;
  const states = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const state of states) {
    if (!DEAD_LETTER_STATES.includes(state as DeadLetterState)) {
      throw new CliUsageError(`Expected --state to be among ${DEAD_LETTER_STATES.join(', ')}, got "${state}"`);
    }
  }
  if (states.length === 0) throw new CliUsageError('Expected --state to name at least one state');
  return states as DeadLetterState[];
}

function duration(option: string, text: unknown): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(String(text));
  if (ms === undefined)
    throw new CliUsageError(`Expected ${option} to be a duration like 90s, 15m, 6h, 7d, got "${text}"`);
  return ms;
}

/** The queue filter the options describe. */
export function filterFrom(ctx: Ctx): DeadLetterFilter {
  const o = ctx.opts;
  const filter: DeadLetterFilter = {};
  if (typeof o.pipeline === 'string') filter.pipeline = o.pipeline;
  if (typeof o.step === 'string') filter.step = o.step;
  if (typeof o.errorCode === 'string') filter.errorCode = o.errorCode;
  if (typeof o.runId === 'string') filter.runId = o.runId;
  const states = parseStates(o.state);
  if (states) filter.state = states;
  const older = duration('--older-than', o.olderThan);
  if (older !== undefined) filter.failedBefore = new Date(ctx.clock.now() - older);
  const newer = duration('--newer-than', o.newerThan);
  if (newer !== undefined) filter.failedAfter = new Date(ctx.clock.now() - newer);
  return filter;
}

/** True when any narrowing option was given (bulk changes need one, so nothing is changed wholesale by accident). */
export function hasFilter(filter: DeadLetterFilter): boolean {
  return Object.keys(filter).some((k) => k !== 'state');
}

/** Every entry matching `filter`, page by page (bounded by `limit`). */
export async function collect(
  dlq: DeadLetterQueue,
  filter: DeadLetterFilter,
  limit: number,
): Promise<DeadLetterEntry[]> {
  const entries: DeadLetterEntry[] = [];
  let after: string | undefined;
  while (entries.length < limit) {
    const size = Math.min(500, limit - entries.length);
    const page = await dlq.list({ ...filter, limit: size, ...(after === undefined ? {} : { after }) });
    entries.push(...page);
    if (page.length < size) break;
    after = page.at(-1)?.id;
  }
  return entries;
}

/** The dead-letter table most commands print. */
export function entryTable(ctx: Ctx, entries: readonly DeadLetterEntry[]): string {
  const now = ctx.clock.now();
  const colourOf = (state: DeadLetterState): string =>
    state === 'parked' ? ctx.paint('red', state) : state === 'pending' ? ctx.paint('yellow', state) : state;
  return table(
    ['ID', 'STATE', 'PIPELINE', 'STEP', 'CODE', 'FAILURES', 'LAST FAILED', 'ERROR'],
    entries.map((e) => [
      e.id,
      colourOf(e.state),
      e.pipeline,
      e.step || '-',
      e.error.code ?? '-',
      String(e.failureCount),
      `${age(now - e.lastFailedAt.getTime())} ago`,
      cut(`${e.error.class}: ${e.error.message}`, 70),
    ]),
    ctx.paint,
  );
}
