import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '@pipewright/core';
import type { PromRegistryLike } from './clients.ts';

export interface MetricsHandlerOptions {
  /** Receives a failure to collect the metrics (answered with 500). */
  onError?: (error: unknown) => void;
}

/**
 * A `node:http` (and Express/Connect-compatible) request handler serving the registry's metrics for Prometheus to
 * scrape: `GET` and `HEAD` answer 200 in the registry's content type, other methods 405.
 *
 * @example
 * http.createServer(metricsHandler(promClient.register)).listen(9464);
 */
export function metricsHandler(
  registry: PromRegistryLike,
  options: MetricsHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  if (typeof registry?.metrics !== 'function') {
    throw new InvalidOptionError('registry', 'a prom-client Registry', registry);
  }
  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('Method Not Allowed\n');
      return;
    }
    try {
      const body = await registry.metrics();
      response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      options.onError?.(error);
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('metrics collection failed\n');
    }
  };
  return (request, response) => {
    void serve(request, response);
  };
}
