import type {
  DeadLetterEntry,
  DeadLetterFilter,
  DeadLetterQueue,
  DeadLetterState,
  RedriveOutcome,
} from '@pipewright/dlq';
import type { Command } from 'commander';
import { CliUsageError, EXIT } from '../errors.ts';
import { actor } from '../internal/actor.ts';
import { confirm } from '../internal/confirm.ts';
import { act, type Ctx, examples, positiveInt, positiveNumber, type Run } from '../internal/context.ts';
import { json, parseDuration, table } from '../internal/format.ts';
import { loadHandler } from '../internal/handler.ts';
import { pacer } from '../internal/pace.ts';
import { Progress } from '../internal/progress.ts';
import {
  collect,
  entryTable,
  filterFrom,
  filterOptions,
  hasFilter,
  openQueue,
  parseStates,
  queueOptions,
} from './dlq-shared.ts';

interface Tally {
  mode: 'handler' | 'requeue' | 'discard';
  matched: number;
  processed: number;
  resolved: number;
  discarded: number;
  failed: number;
  parked: number;
  leaseLost: number;
  requeued: number;
  skipped: number;
  notFound: number;
  dryRun: boolean;
}

const tally = (mode: Tally['mode'], dryRun: boolean): Tally => ({
  mode,
  matched: 0,
  processed: 0,
  resolved: 0,
  discarded: 0,
  failed: 0,
  parked: 0,
  leaseLost: 0,
  requeued: 0,
  skipped: 0,
  notFound: 0,
  dryRun,
});

const OUTCOME_FIELD: Record<RedriveOutcome, 'resolved' | 'discarded' | 'failed' | 'parked' | 'leaseLost'> = {
  resolved: 'resolved',
  discarded: 'discarded',
  failed: 'failed',
  parked: 'parked',
  'lease-lost': 'leaseLost',
};

/** The entries named by id (missing ones counted), or those matching the filter. */
async function select(ctx: Ctx, dlq: DeadLetterQueue, filter: DeadLetterFilter, t: Tally): Promise<DeadLetterEntry[]> {
  const ids = (ctx.args[0] as string[] | undefined) ?? [];
  const limit = (ctx.opts.limit as number | undefined) ?? Number.MAX_SAFE_INTEGER;
  if (ids.length > 0) {
    if (hasFilter(filter)) throw new CliUsageError('Give ids or filter options, not both');
    const found: DeadLetterEntry[] = [];
    for (const id of ids.slice(0, limit)) {
      const entry = await dlq.get(id);
      if (entry) found.push(entry);
      else {
        t.notFound++;
        ctx.note(`No dead letter with id ${id}.`);
      }
    }
    return found;
  }
  if (!hasFilter(filter) && ctx.opts.all !== true) {
    throw new CliUsageError('Name entries by id, narrow with a filter (--pipeline, --step, …), or pass --all');
  }
  return collect(dlq, filter, limit);
}

function report(ctx: Ctx, t: Tally): number {
  const bad = t.failed + t.parked + t.leaseLost + t.notFound;
  if (ctx.json) ctx.out(json(t).trimEnd());
  else {
    const shown = Object.entries(t).filter(([k, v]) => typeof v === 'number' && (v !== 0 || k === 'processed'));
    ctx.out(
      table(
        ['RESULT', 'ENTRIES'],
        shown.map(([k, v]) => [k, String(v)]),
        ctx.paint,
      ),
    );
  }
  return bad > 0 ? EXIT.failure : EXIT.ok;
}

function dryRun(ctx: Ctx, t: Tally, entries: readonly DeadLetterEntry[], verb: string): number {
  t.matched = entries.length;
  if (ctx.json) ctx.out(json({ ...t, entries }).trimEnd());
  else {
    if (entries.length > 0) ctx.out(entryTable(ctx, entries));
    ctx.out(`Dry run: would ${verb} ${entries.length} dead letter(s); nothing was changed.`);
  }
  return t.notFound > 0 ? EXIT.failure : EXIT.ok;
}

async function redrive(ctx: Ctx): Promise<number> {
  const path = ctx.opts.handler as string | undefined;
  const t = tally(path ? 'handler' : 'requeue', ctx.opts.dryRun === true);
  const filter = filterFrom(ctx);
  const states = parseStates(ctx.opts.state);
  if (path && states)
    throw new CliUsageError('--state applies to requeueing; with --handler only pending entries are redriven');
  if (!path && states?.some((s) => s !== 'parked' && s !== 'discarded')) {
    throw new CliUsageError(
      'Without --handler, redrive requeues parked or discarded entries: --state parked,discarded',
    );
  }
  filter.state = path ? ['pending'] : (states ?? ['parked']);
  const mod = path && !t.dryRun ? await loadHandler(path, process.cwd()) : undefined;
  const dlq = await openQueue(ctx);
  const entries = await select(ctx, dlq, filter, t);
  if (t.dryRun) return dryRun(ctx, t, entries, path ? 'redrive' : 'requeue');
  t.matched = entries.length;
  if (entries.length === 0) {
    if (!ctx.json) ctx.note('Nothing to redrive.');
    return report(ctx, t);
  }
  const question = path
    ? `Redrive ${entries.length} dead letter(s) through ${path}?`
    : `Requeue ${entries.length} dead letter(s) to pending for your application's redrive worker?`;
  if (!(await confirm(ctx.io, question, ctx.opts.yes === true))) {
    ctx.note('Aborted; nothing was changed.');
    return EXIT.failure;
  }
  const rate = (ctx.opts.rate as number | undefined) ?? Number.POSITIVE_INFINITY;
  const signal = ctx.io.signal;
  const pace = pacer(ctx.clock, rate, signal);
  const progress = new Progress(ctx.io, path ? 'redrive' : 'requeue', entries.length, !ctx.json);
  const by = actor();
  try {
    for (const entry of entries) {
      if (signal?.aborted) break;
      try {
        await pace();
      } catch {
        break; // interrupted while waiting for the rate limit
      }
      t.processed++;
      try {
        if (mod) {
          // redriveOne claims the entry itself, so a worker of the application never handles it at the same time.
          t[OUTCOME_FIELD[await dlq.redriveOne(entry.id, mod.handler, { by })]]++;
        } else if (entry.state === 'parked' || entry.state === 'discarded') {
          await dlq.requeue(entry.id, { by, why: String(ctx.opts.reason ?? 'requeued from the CLI') });
          t.requeued++;
        } else t.skipped++;
      } catch (error) {
        t.failed++;
        ctx.note(`Entry ${entry.id}: ${(error as Error).message}`);
      }
      progress.tick();
    }
  } finally {
    progress.end();
    await mod?.close?.();
  }
  if (signal?.aborted) {
    ctx.note(`Interrupted: ${t.processed} of ${entries.length} handled; run the same command again to continue.`);
    report(ctx, t);
    return EXIT.interrupted;
  }
  return report(ctx, t);
}

async function discard(ctx: Ctx): Promise<number> {
  const t = tally('discard', ctx.opts.dryRun === true);
  const filter = filterFrom(ctx);
  filter.state ??= ['pending', 'parked'];
  const dlq = await openQueue(ctx);
  const entries = await select(ctx, dlq, filter, t);
  if (t.dryRun) return dryRun(ctx, t, entries, 'discard');
  t.matched = entries.length;
  if (entries.length === 0) return report(ctx, t);
  if (!(await confirm(ctx.io, `Discard ${entries.length} dead letter(s)?`, ctx.opts.yes === true))) {
    ctx.note('Aborted; nothing was changed.');
    return EXIT.failure;
  }
  const by = actor();
  for (const entry of entries) {
    t.processed++;
    try {
      await dlq.discard(entry.id, { by, why: String(ctx.opts.reason) });
      t.discarded++;
    } catch (error) {
      t.failed++;
      ctx.note(`Entry ${entry.id}: ${(error as Error).message}`);
    }
  }
  return report(ctx, t);
}

async function purge(ctx: Ctx): Promise<number> {
  const ms = parseDuration(String(ctx.opts.olderThan));
  if (ms === undefined)
    throw new CliUsageError(`Expected --older-than to be a duration like 30d, got "${ctx.opts.olderThan}"`);
  const states: DeadLetterState[] = parseStates(ctx.opts.state) ?? ['resolved', 'discarded'];
  const dlq = await openQueue(ctx);
  const question = `Delete ${states.join(', ')} dead letters last updated more than ${ctx.opts.olderThan} ago, with their history?`;
  if (!(await confirm(ctx.io, question, ctx.opts.yes === true))) {
    ctx.note('Aborted; nothing was changed.');
    return EXIT.failure;
  }
  const deleted = await dlq.purge({ olderThanDays: ms / 86_400_000, states });
  if (ctx.json) ctx.out(json({ deleted, states }).trimEnd());
  else ctx.out(`Purged ${deleted} dead letter(s).`);
  return EXIT.ok;
}

export function registerDlqWrite(dlq: Command, run: Run): void {
  filterOptions(queueOptions(dlq.command('redrive')))
    .description(
      'redrive dead letters: through your --handler module now, or (without one) requeue parked/discarded entries to pending',
    )
    .argument('[ids...]', 'entry ids (instead of a filter)')
    .option('--handler <module>', 'ES module whose default export (or "redrive") re-processes one entry')
    .option('--rate <n>', 'most entries per second', positiveNumber('--rate'))
    .option('--limit <n>', 'most entries in this call', positiveInt('--limit'))
    .option('--reason <why>', 'why, for the audit trail (requeue)')
    .option('--all', 'every matching entry, without a filter')
    .option('--dry-run', 'show what would be redriven; change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        'pipewright dlq redrive --pipeline orders-sync --error-code 23505 --handler ./redrive.js --rate 20',
        'pipewright dlq redrive 41 42 --handler ./redrive.js --yes',
        'pipewright dlq redrive --pipeline orders-sync --state parked --reason "fixed in v1.4" --dry-run',
      ),
    )
    .action(act(run, redrive));

  filterOptions(queueOptions(dlq.command('discard')))
    .description('discard dead letters on purpose (pending or parked), with a reason in their history')
    .argument('[ids...]', 'entry ids (instead of a filter)')
    .requiredOption('--reason <why>', 'why, for the audit trail')
    .option('--limit <n>', 'most entries', positiveInt('--limit'))
    .option('--all', 'every matching entry, without a filter')
    .option('--dry-run', 'show what would be discarded; change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('pipewright dlq discard 17 18 --reason "test orders, not real"'))
    .action(act(run, discard));

  queueOptions(dlq.command('purge'))
    .description('delete old resolved and discarded dead letters (and their history)')
    .requiredOption('--older-than <age>', 'last updated at least this long ago (30d, 2w…)')
    .option('--state <states>', 'states to purge', undefined)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('pipewright dlq purge --older-than 30d --yes'))
    .action(act(run, purge));
}
