// `npm run bench -- <name> [<name>…]` runs bench/<name>.ts; with no name, every benchmark in bench/.
// Sources of the workspace packages are used directly (the @pipewright/source condition), no build needed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const available = readdirSync(dir)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${available.join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const name of requested.length > 0 ? requested : available) {
  const result = spawnSync(
    process.execPath,
    ['--conditions=@pipewright/source', '--expose-gc', join(dir, `${name}.ts`)],
    {
      stdio: 'inherit',
    },
  );
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
