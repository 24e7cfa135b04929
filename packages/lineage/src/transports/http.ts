import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Classification, Clock } from '@pipewright/core';
import { abortableSleep, classify as defaultClassify, InvalidOptionError, systemClock } from '@pipewright/core';
import { LineageDeliveryError, LineageHttpError } from '../errors.ts';
import type { LineageEvent } from '../events.ts';
import { orderingKey } from '../events.ts';
import { safeUri } from '../naming.ts';
import type { LineageTransport } from './types.ts';

const gzip = promisify(gzipCallback);

/** What `onRetry` is told before each backoff sleep. */
export interface HttpRetryInfo {
  attempt: number;
  delayMs: number;
  error: unknown;
  classification: Classification;
}

export interface HttpTransportOptions {
  /** Base URL of the OpenLineage endpoint, e.g. `http://marquez:5000`. Must not carry user info; a query is kept. */
  url: string;
  /** Path appended to `url`. @default '/api/v1/lineage' */
  endpoint?: string;
  /** Sent as `Authorization: Bearer <token>`; never appears in errors or logs. */
  token?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Per-request timeout. @default 5000 */
  timeoutMs?: number;
  /** Gzip the request body (`Content-Encoding: gzip`). @default false */
  gzip?: boolean;
  /** Attempts per event, the first included. @default 5 */
  maxAttempts?: number;
  /** First backoff ceiling; doubles per attempt, with full jitter. @default 500 */
  baseDelayMs?: number;
  /** Backoff ceiling. @default 30000 */
  maxDelayMs?: number;
  /** The longest `Retry-After` honoured; longer hints are capped to it. @default 60000 */
  maxRetryAfterMs?: number;
  /** Runs sent in parallel (events of one run always go one after the other, in order). @default 4 */
  concurrency?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Decides what is retried: 429, 5xx, network errors and timeouts with core's rules. @default classify */
  classify?: (error: unknown) => Classification;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Called before each retry sleep. */
  onRetry?: (info: HttpRetryInfo) => void;
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new InvalidOptionError(name, `an integer ≥ ${min}`, value);
  return value;
}

/**
 * POSTs each event as JSON to an OpenLineage HTTP endpoint (Marquez's `/api/v1/lineage` and compatible ones),
 * retrying 429/5xx/network failures/timeouts with exponential backoff that honours `Retry-After`.
 */
export function httpTransport(options: HttpTransportOptions): LineageTransport {
  if (typeof options?.url !== 'string') throw new InvalidOptionError('url', 'an http(s) URL', options?.url);
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new InvalidOptionError('url', 'an http(s) URL', '(an unparseable URL)');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new InvalidOptionError('url', 'an http(s) URL', base.protocol);
  }
  if (base.username || base.password) {
    throw new InvalidOptionError('url', 'a URL without credentials (use `token`)', safeUri(options.url));
  }
  const endpoint = options.endpoint ?? '/api/v1/lineage';
  // The query string is kept for endpoints that need one; `shown` (in errors) never carries it.
  const target = `${base.origin}${base.pathname.replace(/\/$/, '')}${endpoint.startsWith('/') ? '' : '/'}${endpoint}${base.search}`;
  const shown = safeUri(target);
  const timeoutMs = positiveInt('timeoutMs', options.timeoutMs, 5000);
  const maxAttempts = positiveInt('maxAttempts', options.maxAttempts, 5);
  const baseDelayMs = positiveInt('baseDelayMs', options.baseDelayMs, 500, 0);
  const maxDelayMs = positiveInt('maxDelayMs', options.maxDelayMs, 30_000, 0);
  const maxRetryAfterMs = positiveInt('maxRetryAfterMs', options.maxRetryAfterMs, 60_000, 0);
  const concurrency = positiveInt('concurrency', options.concurrency, 4);
  const clock = options.clock ?? systemClock;
  const classify = options.classify ?? defaultClassify;
  const doFetch = options.fetch ?? globalThis.fetch;
  const random = options.random ?? Math.random;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.gzip) headers['content-encoding'] = 'gzip';

  async function post(body: string | Uint8Array, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const cancelTimer = clock.setTimer(
      () => controller.abort(new DOMException(`no answer from ${shown} within ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
    try {
      const response = await doFetch(target, { method: 'POST', headers, body, signal: controller.signal });
      const text = await response.text(); // always drain, so the connection is reused
      if (!response.ok) {
        const responseHeaders: Record<string, string> = {};
        response.headers.forEach((value, key) => {
          responseHeaders[key] = value;
        });
        throw new LineageHttpError(shown, response.status, responseHeaders, text);
      }
    } finally {
      cancelTimer();
      signal.removeEventListener('abort', onAbort);
    }
  }

  function delayFor(attempt: number, classification: Classification): number {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.floor(random() * ceiling);
    const hint = classification.retryAfterMs;
    return hint === undefined ? jittered : Math.max(jittered, Math.min(hint, maxRetryAfterMs));
  }

  async function deliver(event: LineageEvent, signal: AbortSignal): Promise<void> {
    const json = JSON.stringify(event);
    const body = options.gzip ? new Uint8Array(await gzip(json)) : json;
    for (let attempt = 1; ; attempt++) {
      try {
        await post(body, signal);
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        const classification = classify(error);
        if (classification.kind !== 'transient' || attempt >= maxAttempts) throw error;
        const delayMs = delayFor(attempt, classification);
        options.onRetry?.({ attempt, delayMs, error, classification });
        await abortableSleep(clock, delayMs, signal);
      }
    }
  }

  return {
    name: 'http',
    async send(events, signal) {
      // Group by run: runs go in parallel, the events of one run strictly one after the other.
      const groups = new Map<string, LineageEvent[]>();
      for (const event of events) {
        const key = orderingKey(event);
        const group = groups.get(key);
        if (group) group.push(event);
        else groups.set(key, [event]);
      }
      const queue = [...groups.values()];
      const failed: LineageEvent[] = [];
      let lastError: unknown;
      const worker = async (): Promise<void> => {
        for (let group = queue.shift(); group; group = queue.shift()) {
          for (const event of group) {
            try {
              await deliver(event, signal);
            } catch (error) {
              // Later events of the run still go: a missing RUNNING must not hide the COMPLETE.
              failed.push(event);
              lastError = error;
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
      if (failed.length > 0) throw new LineageDeliveryError('http', failed, lastError);
    },
  };
}
