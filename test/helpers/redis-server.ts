// Private redis-server processes for tests that crash, restart or cluster a server: the shared one is never touched.
import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Starts redis-server on 127.0.0.1:`port` with its files in `dir` and no RDB snapshots; `settings` adds more
 * (`['--appendonly', 'yes']`, `['--cluster-enabled', 'yes']`, …). The caller waits until it answers.
 */
export function spawnRedisServer(port: number, dir: string, settings: readonly string[] = []): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--protected-mode', 'no', ...settings],
    { stdio: 'ignore' },
  );
}

/** SIGKILLs a server (no clean shutdown: only what is already on disk survives) and waits for it to exit. */
export function killServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.once('exit', () => resolve());
    server.kill('SIGKILL');
  });
}
