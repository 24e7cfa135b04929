// `npm run new-package -- <name> "<one-sentence purpose>"` creates packages/<name> in the standard shape:
// src/index.ts with explicit exports, a test beside it, README, package.json (types-first exports,
// sideEffects false, engines), tsconfig reusing the root config, and a reference in the root solution file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [name, purpose = 'TODO: one sentence of purpose.'] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('Usage: npm run new-package -- <name> "<purpose>"   (name: lower-case letters, digits, dashes)');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const dir = join(root, 'packages', name);
if (existsSync(dir)) {
  console.error(`packages/${name} already exists`);
  process.exit(1);
}
const core = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8'));
mkdirSync(join(dir, 'src'), { recursive: true });

const manifest = {
  name: `@pipewright/${name}`,
  version: '0.0.0',
  description: purpose,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=22' },
  exports: {
    '.': { '@pipewright/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'src', '!src/**/*.test.ts', '!src/**/*.test-d.ts'],
  dependencies: { '@pipewright/core': core.version },
  repository: { ...core.repository, directory: `packages/${name}` },
  publishConfig: { access: 'public' },
};
const files = {
  'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
  'tsconfig.json': `${JSON.stringify(
    {
      extends: '../../tsconfig.base.json',
      compilerOptions: { composite: true, rootDir: 'src', outDir: 'dist' },
      include: ['src'],
      exclude: ['src/**/*.test.ts', 'src/**/*.test-d.ts'],
      references: [{ path: '../core' }],
    },
    null,
    2,
  )}\n`,
  'src/index.ts': `export { VERSION } from './version.ts';\n`,
  'src/version.ts': `/** The package version, for diagnostics. */\nexport const VERSION: string = '0.0.0';\n`,
  'src/version.test.ts': `import { expect, it } from 'vitest';\nimport { VERSION } from './version.ts';\n\nit('has a version', () => {\n  expect(VERSION).toMatch(/^\\d+\\.\\d+\\.\\d+/);\n});\n`,
  'README.md': `# @pipewright/${name}\n\n${purpose}\n\n\`\`\`sh\nnpm install @pipewright/${name}\n\`\`\`\n\n## Guarantees\n\n| Guarantee | How | Proven by |\n| --- | --- | --- |\n`,
};
for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);

const solutionPath = join(root, 'tsconfig.json');
const solution = JSON.parse(readFileSync(solutionPath, 'utf8'));
solution.references.push({ path: `packages/${name}` });
writeFileSync(solutionPath, `${JSON.stringify(solution, null, 2)}\n`);
console.log(`Created packages/${name}. Next: npm install (links the workspace), write src/, add a changeset.`);
