/** Where the real services are; CI and developers override with PG_URL / REDIS_URL. */
export const PG_URL: string = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL: string = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Which SQL engine this vitest project targets: the real server or embedded PGlite. */
export const SQL_TARGET: 'postgres' | 'pglite' = process.env.PW_SQL_TARGET === 'pglite' ? 'pglite' : 'postgres';

/** A name unique to this test file and process, safe as an identifier and a key prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** The same URL with the password masked, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
