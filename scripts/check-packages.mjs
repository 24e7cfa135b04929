// Checks every workspace package the way users will meet it: publint and arethetypeswrong on the packed
// tarball, then an install of that tarball ALONE (plus the sibling tarballs it depends on) into an empty
// project, where it must load through both `import` and `require` and expose every public name of src/index.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8', ...opts });

const only = process.argv.slice(2);
const packages = readdirSync(join(root, 'packages'))
  .filter((dir) => only.length === 0 || only.includes(dir))
  .map((dir) => {
    const path = join(root, 'packages', dir);
    return { dir, path, manifest: JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) };
  });

/** Public runtime names: every non-type name in `export { … } from` statements of src/index.ts. */
function publicNames(path) {
  const source = readFileSync(join(path, 'src', 'index.ts'), 'utf8');
  const names = [];
  for (const match of source.matchAll(/^export\s*\{([^}]*)\}\s*from/gm)) {
    for (const part of match[1].split(',')) {
      const name = part.trim();
      if (name === '' || name.startsWith('type ')) continue;
      names.push(name.split(/\s+as\s+/).pop());
    }
  }
  return names;
}

const work = mkdtempSync(join(tmpdir(), 'pw-pack-'));
const failures = [];
try {
  const tarballs = new Map();
  for (const pkg of packages) {
    const out = run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: pkg.path })
      .trim()
      .split('\n')
      .pop();
    tarballs.set(pkg.manifest.name, join(work, out));
  }
  const allTarballs = new Map(tarballs);
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    if (!allTarballs.has(manifest.name)) {
      const out = run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: join(root, 'packages', dir) });
      allTarballs.set(manifest.name, join(work, out.trim().split('\n').pop()));
    }
  }

  for (const pkg of packages) {
    const name = pkg.manifest.name;
    const tarball = tarballs.get(name);
    const step = (label, fn) => {
      try {
        fn();
        console.log(`  ok   ${name}: ${label}`);
      } catch (error) {
        failures.push(`${name}: ${label}`);
        console.log(`  FAIL ${name}: ${label}\n${String(error.stdout ?? '') + String(error.stderr ?? error.message)}`);
      }
    };
    step('publint', () => run(bin('publint'), ['run', tarball, '--strict']));
    step('arethetypeswrong', () => run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii']));
    step('installs alone; import and require expose every public name', () => {
      const project = mkdtempSync(join(work, 'consumer-'));
      const siblings = Object.keys(pkg.manifest.dependencies ?? {}).filter((dep) => allTarballs.has(dep));
      const dependencies = Object.fromEntries(
        [name, ...closure(siblings, allTarballs)].map((dep) => [dep, `file:${allTarballs.get(dep)}`]),
      );
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }),
      );
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project });
      const expected = JSON.stringify(publicNames(pkg.path));
      const probe = `
        import { createRequire } from 'node:module';
        const expected = ${expected};
        const viaImport = await import(${JSON.stringify(name)});
        const viaRequire = createRequire(import.meta.url)(${JSON.stringify(name)});
        for (const [how, mod] of [['import', viaImport], ['require', viaRequire]]) {
          const missing = expected.filter((n) => mod[n] === undefined);
          if (missing.length) throw new Error(how + ' is missing: ' + missing.join(', '));
        }
        console.log(expected.length + ' names');`;
      writeFileSync(join(project, 'probe.mjs'), probe);
      run(process.execPath, ['probe.mjs'], { cwd: project });
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Sibling packages needed transitively (they are not on the registry yet, so they come from tarballs). */
function closure(names, available, seen = new Set()) {
  for (const dep of names) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    const dir = readdirSync(join(root, 'packages')).find(
      (d) => JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')).name === dep,
    );
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    closure(
      Object.keys(manifest.dependencies ?? {}).filter((d) => available.has(d)),
      available,
      seen,
    );
  }
  return [...seen];
}

if (failures.length > 0) {
  console.error(`\n${failures.length} package check(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`\nAll ${packages.length} package(s) pass publint, attw, and install alone for import and require.`);
