import { InvalidOptionError } from '@pipewright/core';
import type { LineageOptions } from './run.ts';
import { Lineage } from './run.ts';
import { fileTransport } from './transports/file.ts';
import { httpTransport } from './transports/http.ts';
import { consoleTransport, noopTransport } from './transports/simple.ts';
import type { LineageTransport } from './transports/types.ts';

type Env = Record<string, string | undefined>;

const T = 'OPENLINEAGE__TRANSPORT__';

/**
 * A transport from the environment variables the official OpenLineage clients read, so one deployment setting
 * configures Python, Java and Node jobs alike:
 *
 * - `OPENLINEAGE_DISABLED=true` → noop.
 * - `OPENLINEAGE__TRANSPORT__TYPE` = `http` | `file` | `console` | `noop`; without it, `http` when a URL is set,
 *   otherwise noop.
 * - http: `OPENLINEAGE__TRANSPORT__URL` or `OPENLINEAGE_URL`; `…__ENDPOINT` or `OPENLINEAGE_ENDPOINT`;
 *   `…__AUTH__API_KEY` or `OPENLINEAGE_API_KEY` (Bearer); `…__TIMEOUT` (seconds); `…__COMPRESSION=gzip`.
 * - file: `OPENLINEAGE__TRANSPORT__LOG_FILE_PATH`.
 */
export function transportFromEnv(env: Env = process.env): LineageTransport {
  if (/^(true|1|yes)$/i.test(env.OPENLINEAGE_DISABLED ?? '')) return noopTransport();
  const url = env[`${T}URL`] ?? env.OPENLINEAGE_URL;
  const type = (env[`${T}TYPE`] ?? (url ? 'http' : 'noop')).toLowerCase();
  switch (type) {
    case 'noop':
      return noopTransport();
    case 'console':
      return consoleTransport();
    case 'file': {
      const path = env[`${T}LOG_FILE_PATH`];
      if (!path) throw new InvalidOptionError(`${T}LOG_FILE_PATH`, 'a file path when the transport type is file', path);
      return fileTransport({ path });
    }
    case 'http': {
      if (!url) throw new InvalidOptionError('OPENLINEAGE_URL', 'the URL of the OpenLineage endpoint', url);
      const endpoint = env[`${T}ENDPOINT`] ?? env.OPENLINEAGE_ENDPOINT;
      const token = env[`${T}AUTH__API_KEY`] ?? env.OPENLINEAGE_API_KEY;
      const timeout = env[`${T}TIMEOUT`];
      const timeoutMs = timeout === undefined ? undefined : Math.round(Number(timeout) * 1000);
      if (timeoutMs !== undefined && !(timeoutMs >= 1)) {
        throw new InvalidOptionError(`${T}TIMEOUT`, 'a positive number of seconds', timeout);
      }
      return httpTransport({
        url,
        ...(endpoint ? { endpoint } : {}),
        ...(token ? { token } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
        gzip: env[`${T}COMPRESSION`]?.toLowerCase() === 'gzip',
      });
    }
    default:
      throw new InvalidOptionError(`${T}TYPE`, 'http, file, console or noop', type);
  }
}

/**
 * `createLineage` configured from the environment (see `transportFromEnv`); the job namespace comes from
 * `OPENLINEAGE_NAMESPACE` when set. Options you pass win over the environment.
 */
export function lineageFromEnv(options: LineageOptions & { env?: Env } = {}): Lineage {
  const { env = process.env, ...rest } = options;
  const namespace = rest.namespace ?? env.OPENLINEAGE_NAMESPACE;
  return new Lineage({
    ...rest,
    transport: rest.transport ?? transportFromEnv(env),
    ...(namespace !== undefined ? { namespace } : {}),
  });
}
