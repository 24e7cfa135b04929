import { createSqlClient, qualifiedName, type SqlClient } from '@pipewright/core';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { CannotConnectError, CliUsageError, NotSetUpError } from '../errors.ts';
import { maskUrls } from './io.ts';

/** The connection settings every command shares (flags win over `PG_URL` / `REDIS_URL`). */
export interface ConnectionSettings {
  pgUrl: string | undefined;
  redisUrl: string | undefined;
  /** Milliseconds to wait for a server before giving up. */
  connectTimeoutMs: number;
}

/** The password of a URL, so that output can be scrubbed of it. */
export function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '28P01', // invalid password
  '28000', // no pg_hba entry / role
  '3D000', // database does not exist
  '57P03', // cannot connect now (starting up)
]);

function describeConnectFailure(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = e.code ?? e.errors?.[0]?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === '28P01' || code === '28000') return 'authentication failed';
  return maskUrls(e.message || String(code ?? error));
}

/** True when `error` means the server could not be reached or refused the login. */
export function isConnectFailure(error: unknown): boolean {
  const e = error as { code?: string; errors?: { code?: string }[]; message?: string } | undefined;
  if (!e) return false;
  if (e.code && CONNECT_CODES.has(e.code)) return true;
  if (e.errors?.some((inner) => inner.code && CONNECT_CODES.has(inner.code))) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connect ETIMEDOUT/i.test(e.message ?? '');
}

/** Opens the user's servers on first use and closes what it opened. */
export class Connections {
  readonly settings: ConnectionSettings;
  #pool: pg.Pool | undefined;
  #sql: Promise<SqlClient> | undefined;
  #redis: Promise<Redis> | undefined;

  constructor(settings: ConnectionSettings) {
    this.settings = settings;
  }

  /** The PostgreSQL client, after one round trip proved the server answers. */
  sql(): Promise<SqlClient> {
    this.#sql ??= this.#openSql();
    return this.#sql;
  }

  async #openSql(): Promise<SqlClient> {
    const url = this.settings.pgUrl;
    if (!url) throw new CliUsageError('No PostgreSQL URL: pass --pg-url or set PG_URL');
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new CliUsageError(`Expected --pg-url to be a postgres:// URL, got ${maskUrls(url)}`);
    }
    // Loaded on first use: a CLI starts faster when a command does not need a driver.
    const { default: pgModule } = await import('pg');
    this.#pool = new pgModule.Pool({
      connectionString: url,
      max: 4,
      connectionTimeoutMillis: this.settings.connectTimeoutMs,
      application_name: 'pipewright-cli',
    });
    this.#pool.on('error', () => {}); // an idle client dropped by the server must not crash the CLI
    const sql = createSqlClient(this.#pool);
    try {
      await sql.query('SELECT 1');
    } catch (error) {
      throw new CannotConnectError(
        `Cannot connect to PostgreSQL at ${maskUrls(url)}: ${describeConnectFailure(error)}`,
        { cause: error },
      );
    }
    return sql;
  }

  /** The Redis client, connected (no retries: an unreachable server fails at once). */
  redis(): Promise<Redis> {
    this.#redis ??= this.#openRedis();
    return this.#redis;
  }

  async #openRedis(): Promise<Redis> {
    const url = this.settings.redisUrl;
    if (!url) throw new CliUsageError('No Redis URL: pass --redis-url or set REDIS_URL');
    if (!/^rediss?:\/\//.test(url)) {
      throw new CliUsageError(`Expected --redis-url to be a redis:// URL, got ${maskUrls(url)}`);
    }
    const { Redis: RedisClient } = await import('ioredis');
    const redis = new RedisClient(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      connectTimeout: this.settings.connectTimeoutMs,
      enableOfflineQueue: true,
    });
    redis.on('error', () => {}); // reported through connect() / the command's promise instead
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      throw new CannotConnectError(`Cannot connect to Redis at ${maskUrls(url)}: ${describeConnectFailure(error)}`, {
        cause: error,
      });
    }
    return redis;
  }

  async close(): Promise<void> {
    const redis = this.#redis;
    this.#redis = undefined;
    if (redis) await redis.then((r) => r.quit()).catch(() => {});
    await this.#pool?.end().catch(() => {});
    this.#pool = undefined;
  }
}

/** Reads which migrations of `component` the ledger in `schema` records (0 when none, or no ledger). */
export async function appliedVersion(sql: SqlClient, schema: string, component: string): Promise<number> {
  const { rows: ledger } = await sql.query<{ found: boolean }>(
    `SELECT to_regclass(format('%I.pipewright_migrations', $1::text)) IS NOT NULL AS found`,
    [schema],
  );
  if (!ledger[0]?.found) return 0;
  const { rows } = await sql.query<{ version: number }>(
    `SELECT coalesce(max(version), 0)::int AS version FROM ${qualifiedName(schema, 'pipewright_migrations')}
     WHERE component = $1`,
    [component],
  );
  return rows[0]?.version ?? 0;
}

/**
 * Refuses to go on when `component`'s tables were never created, with the fix in the message, so read-only
 * commands never create tables as a side effect (some packages migrate on first use).
 */
export async function requireMigrated(sql: SqlClient, schema: string, component: string, fix: string): Promise<number> {
  const version = await appliedVersion(sql, schema, component);
  if (version === 0) {
    throw new NotSetUpError(`No "${component}" migration in schema "${schema}": ${fix} (or pass the right --schema)`);
  }
  return version;
}
