import type { QualityReport } from './report.ts';

const MARK = { pass: '✓', warn: '!', fail: '✗' } as const;

export interface RenderOptions {
  /** Also list passing checks. @default true */
  showPassed?: boolean;
  /** Sample values shown per failing check. @default 3 */
  sampleSize?: number;
}

function sampleText(sample: readonly unknown[], size: number): string {
  if (sample.length === 0 || size === 0) return '';
  const shown = sample.slice(0, size).map((s) => JSON.stringify(s));
  return `\n      sample: ${shown.join(', ')}${sample.length > size ? ', …' : ''}`;
}

/** A readable text rendering of a report for terminals and logs. */
export function renderReport(report: QualityReport, options: RenderOptions = {}): string {
  const showPassed = options.showPassed ?? true;
  const size = options.sampleSize ?? 3;
  const lines = [`Data quality report ${report.timestamp}`];
  const width = Math.max(0, ...report.results.map((r) => r.model.length + r.name.length + 1));
  for (const r of report.results) {
    if (r.status === 'pass' && !showPassed) continue;
    const label = `${r.model}.${r.name}`.padEnd(width);
    lines.push(
      `  ${MARK[r.status]} ${r.status.padEnd(4)} ${label}  ${r.message}${r.status === 'pass' ? '' : sampleText(r.sample, size)}`,
    );
  }
  const s = report.summary;
  lines.push(
    `${s.total_tests} checks: ${s.passed} passed, ${s.warned} warned, ${s.failed} failed (pass rate ${Number((s.pass_rate * 100).toFixed(2))}%)`,
  );
  return lines.join('\n');
}
