export { CannotConnectError, CliUsageError, EXIT, NotSetUpError } from './errors.ts';
export type { CliIo } from './internal/io.ts';
export { maskUrls } from './internal/io.ts';
export { main } from './main.ts';
export { VERSION } from './version.ts';
