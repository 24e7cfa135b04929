import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { hasErrorCode } from '@pipewright/core';
import { afterAll, describe, expect, it } from 'vitest';
import { lineageFromEnv, transportFromEnv } from './env.ts';

const dir = await mkdtemp(join(tmpdir(), 'pw-lineage-env-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('configuration from the OpenLineage environment variables', () => {
  it('http: URL, endpoint without a leading slash, API key, timeout, gzip; namespace from OPENLINEAGE_NAMESPACE', async () => {
    const seen: { url?: string; auth?: string; encoding?: string; body?: unknown }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          url: req.url,
          auth: req.headers.authorization,
          encoding: req.headers['content-encoding'],
          body: JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')),
        });
        res.writeHead(201).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const lineage = lineageFromEnv({
        env: {
          OPENLINEAGE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          OPENLINEAGE_ENDPOINT: 'custom/lineage',
          OPENLINEAGE_API_KEY: 'key-1',
          OPENLINEAGE__TRANSPORT__TIMEOUT: '2.5',
          OPENLINEAGE__TRANSPORT__COMPRESSION: 'gzip',
          OPENLINEAGE_NAMESPACE: 'from-env',
        },
      });
      lineage.startRun('j').complete();
      expect(await lineage.close()).toEqual({ complete: true, pending: 0 });
      expect(seen.map((s) => [s.url, s.auth, s.encoding])).toEqual([
        ['/custom/lineage', 'Bearer key-1', 'gzip'],
        ['/custom/lineage', 'Bearer key-1', 'gzip'],
      ]);
      expect((seen[0]!.body as { job: { namespace: string } }).job.namespace).toBe('from-env');
    } finally {
      server.close();
    }
  });

  it('file, console, noop, disabled; explicit options win', async () => {
    const path = join(dir, 'env.ndjson');
    const lineage = lineageFromEnv({
      namespace: 'mine',
      env: {
        OPENLINEAGE__TRANSPORT__TYPE: 'file',
        OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: path,
        OPENLINEAGE_NAMESPACE: 'env',
      },
    });
    lineage.startRun('j').complete();
    await lineage.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).job.namespace)).toEqual(['mine', 'mine']);
    expect(transportFromEnv({ OPENLINEAGE__TRANSPORT__TYPE: 'Console' }).name).toBe('console');
    expect(transportFromEnv({}).name).toBe('noop');
    expect(transportFromEnv({ OPENLINEAGE_URL: 'http://x', OPENLINEAGE_DISABLED: 'true' }).name).toBe('noop');
    expect(transportFromEnv({ OPENLINEAGE__TRANSPORT__URL: 'http://x' }).name).toBe('http');
    expect(lineageFromEnv({ env: {} }).namespace).toBe('default');
  });

  it('refuses incomplete or unknown settings with the variable name, never the key', () => {
    const errorOf = (env: Record<string, string>): unknown => {
      try {
        transportFromEnv(env);
      } catch (e) {
        return e;
      }
    };
    const cases: [Record<string, string>, RegExp][] = [
      [{ OPENLINEAGE__TRANSPORT__TYPE: 'kafka' }, /OPENLINEAGE__TRANSPORT__TYPE/],
      [{ OPENLINEAGE__TRANSPORT__TYPE: 'file' }, /LOG_FILE_PATH/],
      [{ OPENLINEAGE__TRANSPORT__TYPE: 'http', OPENLINEAGE_API_KEY: 'secret-key' }, /OPENLINEAGE_URL/],
      [
        { OPENLINEAGE_URL: 'http://x', OPENLINEAGE__TRANSPORT__TIMEOUT: 'soon', OPENLINEAGE_API_KEY: 'secret-key' },
        /TIMEOUT/,
      ],
    ];
    for (const [env, message] of cases) {
      const error = errorOf(env);
      expect(hasErrorCode(error, 'PW_INVALID_OPTION')).toBe(true);
      expect(String(error)).toMatch(message);
      expect(String(error)).not.toContain('secret-key');
    }
  });
});
