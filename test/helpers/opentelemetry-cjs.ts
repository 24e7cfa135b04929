/**
 * Import this first in a test file that loads prom-client or the OpenTelemetry SDK.
 *
 * Vitest starts its workers with Node's `--conditions module` (from Vite's default server conditions), so a
 * native `require('@opentelemetry/api')` (prom-client, the OTel SDK) resolves to the API's `module` build, whose
 * extensionless ESM imports Node cannot load. This points that path at the API's CommonJS build in the require
 * cache, which is what Node would load without the extra condition.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const resolved = require.resolve('@opentelemetry/api');
if (resolved.includes('/build/esm/')) {
  const commonJsPath = resolved.replace('/build/esm/', '/build/src/');
  require(commonJsPath);
  require.cache[resolved] = require.cache[commonJsPath];
}
