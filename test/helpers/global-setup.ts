import net from 'node:net';
import { PG_URL, REDIS_URL, redactUrl } from './env.ts';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port) || defaultPort });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Fails the whole run with one clear message when a required server is missing: never skip silently. */
export default async function setup(): Promise<void> {
  const missing: string[] = [];
  if (!(await reachable(PG_URL, 5432))) missing.push(`PostgreSQL at PG_URL=${redactUrl(PG_URL)}`);
  if (!(await reachable(REDIS_URL, 6379))) missing.push(`Redis at REDIS_URL=${redactUrl(REDIS_URL)}`);
  if (missing.length > 0) {
    throw new Error(
      `Cannot reach ${missing.join(' and ')}.\n` +
        'Start them with `bash scripts/services.sh` (it starts installed servers and, with --install, installs ' +
        'postgresql and redis-server through apt-get), or point PG_URL / REDIS_URL at running servers.',
    );
  }
}
