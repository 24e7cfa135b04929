import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classify, FakeClock, hasErrorCode } from '@pipewright/core';
import * as promClient from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parsePrometheusSamples, sampleValue } from '../../../test/helpers/prometheus-text.ts';
import { metricsHandler } from './handler.ts';
import { createPipelineMetrics } from './metrics.ts';
import { deleteFromGateway, pushgatewayGroupUrl, pushToGateway } from './pushgateway.ts';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

// A stand-in Pushgateway on 127.0.0.1 that records requests and answers with a configurable status.
let server: Server;
let baseUrl: string;
let received: Received[] = [];
let answer = 200;

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        contentType: request.headers['content-type'],
        body,
      });
      response.writeHead(answer, { 'content-type': 'text/plain' });
      response.end(answer >= 400 ? 'pushed metrics are invalid' : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
});

beforeEach(() => {
  received = [];
  answer = 200;
});

describe('Pushgateway', () => {
  it('pushes only this pipeline series with PUT to /metrics/job/<job>/pipeline/<pipeline> when a run finishes', async () => {
    const registry = new promClient.Registry();
    const clock = new FakeClock(Date.UTC(2026, 10, 21));
    const other = createPipelineMetrics({ pipeline: 'customers', prometheus: { client: promClient, registry } });
    other.record('load', { in: 99 });
    const metrics = createPipelineMetrics({
      pipeline: 'orders',
      prometheus: { client: promClient, registry },
      pushgateway: { url: `${baseUrl}/`, job: 'nightly' },
      clock,
    });
    await metrics.run(async (run) => {
      run.record('load', { in: 10, out: 10 });
    });
    expect(received).toHaveLength(1);
    const [push] = received;
    expect(push?.method).toBe('PUT');
    expect(push?.url).toBe('/metrics/job/nightly/pipeline/orders');
    expect(push?.url).not.toContain('instance');
    expect(push?.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parsePrometheusSamples(push?.body ?? '');
    expect(sampleValue(samples, 'pipewright_records_in_total', { step: 'load' })).toBe(10);
    expect(sampleValue(samples, 'pipewright_last_success_timestamp_seconds')).toBe(clock.now() / 1000);
    expect(new Set(samples.map((s) => s.labels.pipeline))).toEqual(new Set(['orders']));
  });

  it('pushes a failed run with POST, so the last success pushed by an earlier process survives', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21));
    const options = (registry: promClient.Registry) => ({
      pipeline: 'orders',
      prometheus: { registry },
      pushgateway: { url: baseUrl },
      clock,
    });
    await createPipelineMetrics(options(new promClient.Registry())).run(() => {});
    // The next night, a new process whose run fails.
    await clock.advance(86_400_000);
    const next = createPipelineMetrics(options(new promClient.Registry()));
    await expect(next.run(() => Promise.reject(new Error('source down')))).rejects.toThrow('source down');
    expect(received.map((r) => r.method)).toEqual(['PUT', 'POST']);
    const first = parsePrometheusSamples(received[0]?.body ?? '');
    const second = parsePrometheusSamples(received[1]?.body ?? '');
    expect(sampleValue(first, 'pipewright_last_success_timestamp_seconds')).toBe(Date.UTC(2026, 10, 21) / 1000);
    expect(sampleValue(second, 'pipewright_last_success_timestamp_seconds')).toBeUndefined();
    expect(sampleValue(second, 'pipewright_last_run_status')).toBe(0);
    expect(sampleValue(second, 'pipewright_runs_total', { outcome: 'failure' })).toBe(1);
  });

  it('deletes the group on request', async () => {
    const metrics = createPipelineMetrics({
      pipeline: 'orders',
      prometheus: { registry: new promClient.Registry() },
      pushgateway: { url: baseUrl },
    });
    await metrics.deletePush();
    expect(received).toEqual([
      { method: 'DELETE', url: '/metrics/job/pipewright/pipeline/orders', contentType: undefined, body: '' },
    ]);
  });

  it('encodes grouping values with "/" or empty as base64url, and others as path segments', () => {
    expect(pushgatewayGroupUrl({ url: 'http://pg:9091', job: 'a/b', groupingKey: { env: '', team: 'data eng' } })).toBe(
      `http://pg:9091/metrics/job@base64/${Buffer.from('a/b').toString('base64url')}/env@base64/=/team/data%20eng`,
    );
  });

  it('refuses an instance label, a bad URL and a bad method with typed errors', async () => {
    expect(() => pushgatewayGroupUrl({ url: baseUrl, groupingKey: { instance: 'host-1' } })).toThrow(/instance/);
    expect(() => pushgatewayGroupUrl({ url: 'pushgateway:9091' })).toThrow(/Expected `pushgateway.url`/);
    expect(() => pushgatewayGroupUrl({ url: baseUrl, groupingKey: { 'bad-name': 'x' } })).toThrow(/bad-name/);
    await expect(pushToGateway({ url: baseUrl, method: 'PATCH' as never }, '')).rejects.toThrow(/pushgateway.method/);
    await expect(pushToGateway({ url: baseUrl, timeoutMs: 0 }, '')).rejects.toThrow(/timeoutMs/);
    const prometheus = { registry: new promClient.Registry() };
    expect(() => createPipelineMetrics({ pipeline: 'p', prometheus, pushgateway: { url: 'localhost:9091' } })).toThrow(
      /pushgateway.url/,
    );
    expect(() => createPipelineMetrics({ pipeline: 'p', pushgateway: { url: baseUrl } })).toThrow(
      /Expected `prometheus` to be set when `pushgateway` is/,
    );
    expect(received).toHaveLength(0);
  });

  it('rejects with a PushgatewayError carrying the status, which core classifies', async () => {
    answer = 503;
    const error = await pushToGateway({ url: baseUrl, method: 'POST' }, 'x 1\n').catch((e: unknown) => e);
    expect(hasErrorCode(error, 'PW_PUSHGATEWAY')).toBe(true);
    expect((error as { status: number }).status).toBe(503);
    expect(String(error)).toContain('pushed metrics are invalid');
    expect(classify(error).kind).toBe('transient');
    expect(received[0]?.method).toBe('POST');
    answer = 400;
    expect(classify(await deleteFromGateway({ url: baseUrl }).catch((e: unknown) => e)).kind).toBe('fatal');
  });

  it('reports an unreachable Pushgateway to onError and never fails the run', async () => {
    const errors: unknown[] = [];
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const metrics = createPipelineMetrics({
      pipeline: 'orders',
      prometheus: { client: promClient, registry: new promClient.Registry() },
      pushgateway: { url: `http://127.0.0.1:${port}` },
      onError: (error) => errors.push(error),
    });
    await expect(metrics.run(() => 'done')).resolves.toBe('done');
    expect(errors).toHaveLength(1);
    expect(hasErrorCode(errors[0], 'PW_PUSHGATEWAY')).toBe(true);
    expect(classify(errors[0]).kind).toBe('transient'); // ECONNREFUSED in the cause chain
  });

  it('does not push when pushOnFinish is false, and push() without a Pushgateway is a typed error', async () => {
    const metrics = createPipelineMetrics({
      pipeline: 'orders',
      prometheus: { client: promClient, registry: new promClient.Registry() },
      pushgateway: { url: baseUrl, pushOnFinish: false },
    });
    await metrics.run(() => {});
    expect(received).toHaveLength(0);
    await metrics.push();
    expect(received).toHaveLength(1);
    await expect(createPipelineMetrics({ pipeline: 'p' }).push()).rejects.toThrow(/pushgateway/);
  });
});

describe('metricsHandler', () => {
  it('serves the registry for Prometheus to scrape, and 405 for other methods', async () => {
    const registry = new promClient.Registry();
    createPipelineMetrics({ pipeline: 'orders', prometheus: { client: promClient, registry } }).record('s', { in: 4 });
    const app = createServer(metricsHandler(registry));
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/metrics`;
    try {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(registry.contentType);
      const samples = parsePrometheusSamples(await response.text());
      expect(sampleValue(samples, 'pipewright_records_in_total', { pipeline: 'orders' })).toBe(4);
      const post = await fetch(url, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      await post.body?.cancel();
    } finally {
      app.close();
    }
  });

  it('answers 500 and reports when collection fails', async () => {
    const errors: unknown[] = [];
    const broken = {
      contentType: 'text/plain',
      getSingleMetric: () => undefined,
      registerMetric: () => {},
      metrics: () => Promise.reject(new Error('collect failed')),
    };
    const app = createServer(metricsHandler(broken, { onError: (error) => errors.push(error) }));
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    try {
      const response = await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/metrics`);
      expect(response.status).toBe(500);
      await response.body?.cancel();
      expect(errors).toHaveLength(1);
    } finally {
      app.close();
    }
    expect(() => metricsHandler({} as never)).toThrow(/registry/);
  });
});
