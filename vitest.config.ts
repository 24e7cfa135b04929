import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Sibling packages resolve to their TypeScript sources (no build needed to test). Vite's `module` condition is
// dropped: Vitest hands the conditions to its Node workers, where `module` makes a native require() of
// @opentelemetry/api (from prom-client or the OTel SDK) load an ESM build that Node cannot run.
const conditions = ['@pipewright/source', ...defaultServerConditions.filter((c) => c !== 'module')];
const shared = {
  resolve: { conditions },
  ssr: { resolve: { conditions } },
};

export default defineConfig({
  ...shared,
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.test-d.ts', '**/index.ts'],
      reporter: ['text-summary', 'json-summary'],
    },
    projects: [
      {
        ...shared,
        test: {
          name: 'node',
          include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          env: { PW_SQL_TARGET: 'postgres' },
        },
      },
      {
        // Every SQL suite (`*.sql.test.ts`) runs a second time against embedded PGlite.
        ...shared,
        test: {
          name: 'pglite',
          include: ['packages/*/src/**/*.sql.test.ts', 'test/**/*.sql.test.ts'],
          env: { PW_SQL_TARGET: 'pglite' },
        },
      },
    ],
  },
});
