import { readFile } from 'node:fs/promises';
import type { QualityReport } from '@pipewright/quality';
import type { Command } from 'commander';
import { EXIT } from '../errors.ts';
import { act, type Ctx, examples, type Run } from '../internal/context.ts';
import { json } from '../internal/format.ts';

type StoredReport = QualityReport & { pipeline?: string };

const isReport = (value: unknown): value is StoredReport =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as QualityReport).timestamp === 'string' &&
  typeof (value as QualityReport).summary === 'object' &&
  Array.isArray((value as QualityReport).results);

/**
 * Reports from a file: one JSON report (buildReport's output), or NDJSON with one report per line, each
 * optionally tagged with `pipeline`. Quality reports are not stored by any package, so the job writes them.
 */
export function readReports(ctx: Ctx, text: string, file: string): StoredReport[] {
  const trimmed = text.trim();
  try {
    const one = JSON.parse(trimmed) as unknown;
    if (isReport(one)) return [one];
    if (Array.isArray(one)) return one.filter(isReport);
  } catch {
    // not one JSON document: NDJSON
  }
  const reports: StoredReport[] = [];
  trimmed.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const value = JSON.parse(line) as unknown;
      if (isReport(value)) reports.push(value);
      else ctx.note(`${file}:${i + 1}: not a quality report; skipped`);
    } catch {
      ctx.note(`${file}:${i + 1}: not valid JSON; skipped`);
    }
  });
  return reports;
}

export function registerQuality(quality: Command, run: Run): void {
  quality
    .command('report')
    .description('the last quality report of a pipeline, as a table or JSON (exit 1 when a check failed)')
    .argument('[pipeline]', 'pipeline name (reports tagged with "pipeline"); default: the latest report')
    .requiredOption('--file <path>', 'JSON report (buildReport output) or NDJSON of reports, one per line')
    .option('--only-problems', 'hide passing checks')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples(
        'pipewright quality report orders-sync --file reports/quality.ndjson',
        'pipewright quality report --file report.json --json',
      ),
    )
    .action(
      act(run, async (ctx) => {
        const file = String(ctx.opts.file);
        const pipeline = ctx.args[0] as string | undefined;
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          ctx.note(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          return EXIT.failure;
        }
        const reports = readReports(ctx, text, file).filter((r) => pipeline === undefined || r.pipeline === pipeline);
        if (reports.length === 0) {
          ctx.note(`No quality report${pipeline ? ` for pipeline "${pipeline}"` : ''} in ${file}.`);
          return EXIT.failure;
        }
        const last = reports.reduce((a, b) => (Date.parse(b.timestamp) >= Date.parse(a.timestamp) ? b : a));
        if (ctx.json) ctx.out(json(last).trimEnd());
        else {
          const { renderReport } = await import('@pipewright/quality');
          ctx.out(renderReport(last, { showPassed: ctx.opts.onlyProblems !== true }));
        }
        return last.summary.failed > 0 ? EXIT.failure : EXIT.ok;
      }),
    );
}
