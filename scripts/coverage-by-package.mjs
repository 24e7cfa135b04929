// Prints line coverage per package from vitest's json-summary, and fails when a package is under its floor.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const summary = JSON.parse(readFileSync(resolve(root, 'coverage/coverage-summary.json'), 'utf8'));
const FLOORS = { core: 90 };
const DEFAULT_FLOOR = 80;

const byPackage = new Map();
for (const [file, data] of Object.entries(summary)) {
  if (file === 'total') continue;
  const match = /^packages\/([^/]+)\//.exec(relative(root, file));
  if (!match) continue;
  const entry = byPackage.get(match[1]) ?? { covered: 0, total: 0 };
  entry.covered += data.lines.covered;
  entry.total += data.lines.total;
  byPackage.set(match[1], entry);
}

let failed = false;
console.log('\nLine coverage by package');
for (const [name, { covered, total }] of [...byPackage].sort()) {
  const pct = total === 0 ? 100 : (covered / total) * 100;
  const floor = FLOORS[name] ?? DEFAULT_FLOOR;
  const ok = pct >= floor;
  failed ||= !ok;
  console.log(
    `  ${name.padEnd(12)} ${pct.toFixed(1).padStart(5)}%  (${covered}/${total} lines, floor ${floor}%)${ok ? '' : '  BELOW FLOOR'}`,
  );
}
// Floors are enforced on full runs in CI; a developer running one file still sees the table.
if (failed && process.env.CI) process.exit(1);
