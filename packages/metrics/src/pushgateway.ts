import { InvalidOptionError } from '@pipewright/core';
import { PushgatewayError } from './errors.ts';

/** The Prometheus text exposition format, as the Pushgateway expects it. */
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PushgatewayOptions {
  /** Base URL of your Pushgateway, e.g. `http://pushgateway:9091`. */
  url: string;
  /**
   * The `job` grouping label.
   * @default 'pipewright'
   */
  job?: string;
  /**
   * More grouping labels (the pipeline's own is added by `createPipelineMetrics`). Never add `instance`: a batch
   * job's series must survive the process that pushed them.
   * @default {}
   */
  groupingKey?: Record<string, string>;
  /**
   * `PUT` replaces every series of the group; `POST` only the metrics with the same names.
   * @default 'PUT'
   */
  method?: 'PUT' | 'POST';
  /**
   * Abort a push or delete after this long.
   * @default 10000
   */
  timeoutMs?: number;
  /** Extra request headers (authentication). */
  headers?: Record<string, string>;
  /**
   * The fetch implementation.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
}

function segment(name: string, value: string): string {
  // The Pushgateway's path encoding: a value that is empty or holds "/" is sent base64url-encoded.
  if (value === '') return `${name}@base64/=`;
  if (value.includes('/')) return `${name}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
  return `${name}/${encodeURIComponent(value)}`;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Validates the options and returns the group's URL: `<url>/metrics/job/<job>/<label>/<value>…`. */
export function pushgatewayGroupUrl(options: PushgatewayOptions): string {
  if (typeof options?.url !== 'string' || !/^https?:\/\//.test(options.url)) {
    throw new InvalidOptionError('pushgateway.url', 'an http(s) URL such as "http://pushgateway:9091"', options?.url);
  }
  const job = options.job ?? 'pipewright';
  if (typeof job !== 'string' || job === '') throw new InvalidOptionError('pushgateway.job', 'a non-empty string', job);
  let path = `/metrics/${segment('job', job)}`;
  for (const [name, value] of Object.entries(options.groupingKey ?? {})) {
    if (!LABEL_NAME.test(name) || name === 'job') {
      throw new InvalidOptionError(`pushgateway.groupingKey.${name}`, 'a Prometheus label name other than "job"', name);
    }
    if (name === 'instance') {
      throw new InvalidOptionError(
        'pushgateway.groupingKey.instance',
        'absent (a batch job is not an instance; Prometheus advises against it)',
        value,
      );
    }
    if (typeof value !== 'string') throw new InvalidOptionError(`pushgateway.groupingKey.${name}`, 'a string', value);
    path += `/${segment(name, value)}`;
  }
  return options.url.replace(/\/+$/, '') + path;
}

async function send(options: PushgatewayOptions, method: string, body?: string): Promise<void> {
  const url = pushgatewayGroupUrl(options);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidOptionError('pushgateway.timeoutMs', 'a positive number of milliseconds', timeoutMs);
  }
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': PROMETHEUS_TEXT_CONTENT_TYPE }), ...options.headers },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new PushgatewayError(method, url, undefined, error instanceof Error ? error.message : String(error), error);
  }
  if (!response.ok) {
    const detail = (await response.text().catch(() => '')).slice(0, 500) || response.statusText;
    throw new PushgatewayError(method, url, response.status, detail);
  }
  await response.body?.cancel();
}

/** Pushes text-format metrics to the group (`PUT` by default, replacing the group's previous series). */
export function pushToGateway(options: PushgatewayOptions, body: string): Promise<void> {
  const method = options.method ?? 'PUT';
  if (method !== 'PUT' && method !== 'POST') {
    return Promise.reject(new InvalidOptionError('pushgateway.method', '"PUT" or "POST"', method));
  }
  return send(options, method, body);
}

/** Deletes every series of the group: the Pushgateway keeps pushed series until told otherwise. */
export function deleteFromGateway(options: PushgatewayOptions): Promise<void> {
  return send(options, 'DELETE');
}
