import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { PG_URL, uniqueName } from './env.ts';

/**
 * A pool whose connections carry a unique application_name, and a way to terminate exactly those backends
 * (never anyone else's): for tests that kill a writer's connection in the middle of its work.
 */
export interface KillablePool {
  pool: pg.Pool;
  applicationName: string;
  /** Terminates every backend of this pool now; resolves to how many were terminated. */
  terminate(): Promise<number>;
  /**
   * Terminates every backend of this pool before returning (blocking, through psql): for a kill from inside
   * synchronous code, e.g. a getter read while rows are encoded, that must land before the writer goes on.
   */
  terminateSync(): number;
  /** Waits until a backend of this pool waits on a lock (e.g. behind a lock the test holds), then terminates it. */
  terminateWhenWaiting(timeoutMs?: number): Promise<number>;
  end(): Promise<void>;
}

export function killablePool(options: { searchPath?: string; max?: number } = {}): KillablePool {
  const applicationName = uniqueName('pw_kill').slice(0, 60);
  const pool = new pg.Pool({
    connectionString: PG_URL,
    max: options.max ?? 2,
    application_name: applicationName,
    ...(options.searchPath === undefined ? {} : { options: `-c search_path=${options.searchPath},public` }),
  });
  // A terminated idle connection reports through the pool; the test observes the failure on the query itself.
  pool.on('error', () => {});
  // pg emits 'error' on a checked-out client whose backend dies; without a listener that is an uncaught error.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  const terminate = async (condition: string): Promise<number> => {
    const { rows } = await admin.query(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE application_name = $1 AND pid <> pg_backend_pid() ${condition}`,
      [applicationName],
    );
    return rows[0].n as number;
  };
  return {
    pool,
    applicationName,
    terminate: () => terminate(''),
    terminateSync() {
      // psql interpolates :'app' (quoted) in a script read from stdin, not in -c.
      const out = execFileSync('psql', [PG_URL, '-X', '-At', '-v', `app=${applicationName}`, '-f', '-'], {
        encoding: 'utf8',
        input: `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = :'app';`,
      });
      return Number(out.trim());
    },
    async terminateWhenWaiting(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const killed = await terminate(`AND wait_event_type = 'Lock'`);
        if (killed > 0) return killed;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no backend of ${applicationName} waited on a lock within ${timeoutMs} ms`);
    },
    async end() {
      await pool.end();
      await admin.end();
    },
  };
}
