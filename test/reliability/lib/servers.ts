// Private PostgreSQL and Redis servers for the suite: the shared ones are never restarted or terminated, and a
// private cluster keeps other people's long transactions out of the watermark's in-flight wait.
import { type ChildProcess, execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../helpers/free-port.ts';
import { killServer, spawnRedisServer } from '../../helpers/redis-server.ts';

const run = promisify(execFile);
const PG_BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((d) =>
  existsSync(join(d, 'initdb')),
);

export interface PrivatePostgres {
  url: string;
  port: number;
  /** The data directory (pg_hba.conf lives here). */
  dataDir: string;
  /** Stops the server (`immediate` = crash-like, no checkpoint) and starts it again on the same port. */
  restart(mode?: 'immediate' | 'fast'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * initdb + pg_ctl start in a temp dir on a free port (as user `postgres` when running as root, which PostgreSQL
 * requires). Returns undefined when the tools are missing or initdb fails: callers then use the shared server.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres | undefined> {
  if (!PG_BIN) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pw-rel-pg-'));
  const asRoot = process.getuid?.() === 0;
  const as = async (cmd: string, args: string[]): Promise<void> => {
    if (asRoot) await run('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args]);
    else await run(join(PG_BIN, cmd), args);
  };
  try {
    if (asRoot) chownSync(dir, ...(await postgresIds()));
    await as('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_connections=200 -c fsync=on`;
    const ctl = (args: string[]): Promise<void> =>
      as('pg_ctl', ['-D', join(dir, 'data'), '-o', opts, '-l', join(dir, 'log'), '-w', ...args]);
    await ctl(['start']);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dataDir: join(dir, 'data'),
      async restart(mode = 'immediate') {
        await ctl(['-m', mode, 'stop']);
        await ctl(['start']);
      },
      async stop() {
        await ctl(['-m', 'immediate', 'stop']).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await run('id', ['postgres']);
  const uid = Number(/uid=(\d+)/.exec(stdout)?.[1]);
  const gid = Number(/gid=(\d+)/.exec(stdout)?.[1]);
  return [uid, gid];
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILLs the server and starts it again on the same port and directory (AOF replayed). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A private redis-server with AOF (`appendfsync always`) in a temp dir on a free port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-rel-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    proc = spawnRedisServer(port, dir, ['--appendonly', 'yes', '--appendfsync', 'always']);
    for (let i = 0; i < 200; i++) {
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`private redis-server did not start on port ${port}`);
  };
  const kill = async (): Promise<void> => {
    if (proc) await killServer(proc);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await kill();
      await start();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
