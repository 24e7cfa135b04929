import type { StatsDimension } from '@pipewright/dlq';
import type { Command } from 'commander';
import { CliUsageError, EXIT } from '../errors.ts';
import { act, examples, positiveInt, type Run } from '../internal/context.ts';
import { age, json, pretty, table, when } from '../internal/format.ts';
import { entryTable, filterFrom, filterOptions, openQueue, queueOptions } from './dlq-shared.ts';

const DIMENSIONS: readonly StatsDimension[] = ['pipeline', 'step', 'errorCode', 'state'];

export function registerDlqRead(dlq: Command, run: Run): void {
  filterOptions(queueOptions(dlq.command('list')))
    .description('list dead letters, oldest id first')
    .option('--limit <n>', 'most entries to show', positiveInt('--limit'), 50)
    .option('--after <id>', 'entries after this id (paging)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples(
        'pipewright dlq list --state pending,parked --older-than 1d',
        'pipewright dlq list --pipeline orders-sync --error-code 23505 --json',
      ),
    )
    .action(
      act(run, async (ctx) => {
        const dlq = await openQueue(ctx);
        const filter = filterFrom(ctx);
        const after = typeof ctx.opts.after === 'string' ? { after: ctx.opts.after } : {};
        const entries = await dlq.list({ ...filter, ...after, limit: ctx.opts.limit as number });
        if (ctx.json) ctx.out(json(entries).trimEnd());
        else if (entries.length === 0) ctx.out('No dead letters match.');
        else {
          const total = await dlq.count(filter);
          ctx.out(entryTable(ctx, entries));
          if (total > entries.length) {
            ctx.note(`${entries.length} of ${total} shown; next page: --after ${entries.at(-1)?.id}`);
          }
        }
        return EXIT.ok;
      }),
    );

  queueOptions(dlq.command('show'))
    .description('show one dead letter: error, source, record (redacted fields stay redacted) and history')
    .argument('<id>', 'entry id')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('pipewright dlq show 42', 'pipewright dlq show 42 --json | jq .record'))
    .action(
      act(run, async (ctx) => {
        const id = String(ctx.args[0]);
        const dlq = await openQueue(ctx);
        const entry = await dlq.get(id);
        if (!entry) {
          ctx.note(`No dead letter with id ${id}.`);
          return EXIT.failure;
        }
        const history = await dlq.history(id);
        if (ctx.json) {
          ctx.out(json({ ...entry, history }).trimEnd());
          return EXIT.ok;
        }
        const p = ctx.paint;
        const field = (label: string, value: string): string => `${p('bold', label.padEnd(12))} ${value}`;
        ctx.out(
          [
            field('id', entry.id),
            field('state', entry.state),
            field('pipeline', entry.pipeline),
            field('step', entry.step || '-'),
            field('run', entry.runId ?? '-'),
            field('error', p('red', `${entry.error.class}: ${entry.error.message}`)),
            field('code', entry.error.code ?? '-'),
            field('kind', `${entry.error.kind} (${entry.error.reason})`),
            field(
              'failures',
              `${entry.failureCount} (attempt ${entry.attempt}, ${entry.redriveCount} failed redrives)`,
            ),
            field('first failed', when(entry.firstFailedAt)),
            field(
              'last failed',
              `${when(entry.lastFailedAt)} (${age(ctx.clock.now() - entry.lastFailedAt.getTime())} ago)`,
            ),
            field('source', entry.source ? pretty(entry.source, ctx.colour) : '-'),
            '',
            p('bold', 'record'),
            pretty(entry.record, ctx.colour),
            ...(entry.error.stack ? ['', p('bold', 'stack'), p('dim', entry.error.stack)] : []),
            '',
            p('bold', 'history'),
            table(
              ['AT', 'FROM', 'TO', 'BY', 'WHY'],
              history.map((h) => [when(h.at), h.from ?? '-', h.to, h.by, h.why]),
              p,
            ),
          ].join('\n'),
        );
        return EXIT.ok;
      }),
    );

  filterOptions(queueOptions(dlq.command('stats')))
    .description('count dead letters grouped by pipeline, step, error code and/or state')
    .option('--by <dimensions>', `comma-separated: ${DIMENSIONS.join(', ')}`, 'pipeline,step,errorCode,state')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples('pipewright dlq stats --state pending', 'pipewright dlq stats --by pipeline,errorCode --json'),
    )
    .action(
      act(run, async (ctx) => {
        const by = String(ctx.opts.by)
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean) as StatsDimension[];
        for (const d of by) {
          if (!DIMENSIONS.includes(d)) {
            throw new CliUsageError(`Expected --by to be among ${DIMENSIONS.join(', ')}, got "${d}"`);
          }
        }
        const dlq = await openQueue(ctx);
        const rows = await dlq.stats(by, filterFrom(ctx));
        if (ctx.json) {
          ctx.out(json(rows).trimEnd());
          return EXIT.ok;
        }
        if (rows.length === 0) {
          ctx.out('No dead letters match.');
          return EXIT.ok;
        }
        const now = ctx.clock.now();
        ctx.out(
          table(
            [...by.map((d) => (d === 'errorCode' ? 'CODE' : d.toUpperCase())), 'ENTRIES', 'FAILURES', 'OLDEST'],
            rows.map((r) => [
              ...by.map((d) => String(r[d] ?? '-') || '-'),
              String(r.entries),
              String(r.failures),
              `${age(now - r.oldestFailureAt.getTime())} ago`,
            ]),
            ctx.paint,
          ),
        );
        return EXIT.ok;
      }),
    );
}
