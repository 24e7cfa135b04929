import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect } from 'vitest';

export type DecoratorFlavour = 'tc39' | 'legacy';

const root = join(import.meta.dirname, '..', '..');
const packagesDir = join(root, 'packages');

/**
 * Node cannot parse decorators, and a bundler's transform may know only one flavour. This compiles a fixture
 * (a file under packages/) with the real TypeScript compiler, as TC39 standard decorators or as legacy
 * `experimentalDecorators`, type-checking it against the real declarations, asserts which protocol was emitted,
 * and imports the result. Each flavour is compiled once per test file; the output is removed after the file.
 */
export function useDecoratedFixture<Module>(fixture: string): (flavour: DecoratorFlavour) => Promise<Module> {
  const work = mkdtempSync(join(tmpdir(), 'pw-decorators-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const compiled = new Map<DecoratorFlavour, Promise<Module>>();
  return (flavour) => {
    let module = compiled.get(flavour);
    if (!module) {
      module = compile(fixture, flavour, work);
      compiled.set(flavour, module);
    }
    return module;
  };
}

async function compile<Module>(fixture: string, flavour: DecoratorFlavour, work: string): Promise<Module> {
  const legacy = flavour === 'legacy';
  const outDir = join(work, flavour);
  const config = join(work, `tsconfig.${flavour}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        experimentalDecorators: legacy,
        outDir,
        rootDir: packagesDir,
        customConditions: ['@pipewright/source'],
        typeRoots: [join(root, 'node_modules', '@types')],
        declaration: false,
        declarationMap: false,
        sourceMap: false,
        isolatedDeclarations: false,
      },
      files: [fixture],
    }),
  );
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', config], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`tsc (${flavour} decorators) failed on ${fixture}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
  const emitted = join(outDir, relative(packagesDir, fixture)).replace(/\.ts$/, '.js');
  // Prove which flavour was emitted: legacy `__decorate` on the prototype, or the TC39 `__esDecorate` protocol.
  const code = readFileSync(emitted, 'utf8');
  expect(code.includes('__esDecorate(')).toBe(!legacy);
  expect(code.includes('__decorate(')).toBe(legacy);
  return (await import(pathToFileURL(emitted).href)) as Module;
}
