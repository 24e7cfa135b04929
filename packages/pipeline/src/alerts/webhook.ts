import { type Clock, ensureError, InvalidOptionError, parseRetryAfter, systemClock } from '@pipewright/core';
import { AlertDeliveryError } from '../errors.ts';
import { slackPayload } from './slack.ts';
import type { Alert, Notifier } from './types.ts';

export interface WebhookNotifierOptions {
  /** The webhook URL (a Slack incoming webhook, or anything accepting the same JSON). */
  url: string | URL;
  /** Builds the JSON body. @default slackPayload */
  payload?: (alert: Alert) => unknown;
  /** Extra request headers (e.g. authorization). @default none */
  headers?: Record<string, string>;
  /** Attempts in total. @default 4 */
  maxAttempts?: number;
  /** First retry delay; doubles each time; `Retry-After` is honoured up to `maxDelayMs`. @default 500 */
  baseDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** Per-request timeout. @default 10000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default systemClock */
  clock?: Clock;
  /** @default 'webhook' */
  name?: string;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** A notifier that POSTs a Slack-compatible JSON payload, retrying network errors, 429 and 5xx. */
export function webhookNotifier(options: WebhookNotifierOptions): Notifier {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new InvalidOptionError('url', 'an absolute http(s) URL', options.url);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError('url', 'an absolute http(s) URL', String(options.url));
  }
  const maxAttempts = options.maxAttempts ?? 4;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new InvalidOptionError('maxAttempts', 'a positive integer', maxAttempts);
  }
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const build = options.payload ?? slackPayload;
  const target = `${url.origin}${url.pathname.length > 1 ? '/…' : ''}`; // never log a webhook's secret path

  return {
    name: options.name ?? 'webhook',
    async notify(alert, { signal }) {
      const body = JSON.stringify(build(alert));
      for (let attempt = 1; ; attempt++) {
        let failure: AlertDeliveryError;
        let retryAfterMs: number | undefined;
        try {
          const timeout = AbortSignal.timeout(timeoutMs);
          const response = await doFetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...options.headers },
            body,
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          });
          await response.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
          if (response.ok) return;
          failure = new AlertDeliveryError(target, `HTTP ${response.status}`, { status: response.status });
          if (!RETRYABLE.has(response.status)) throw failure;
          retryAfterMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined, clock.now());
        } catch (thrown) {
          if (thrown instanceof AlertDeliveryError) throw thrown;
          if (signal?.aborted) throw ensureError(thrown);
          failure = new AlertDeliveryError(target, ensureError(thrown).message, { cause: thrown });
        }
        if (attempt >= maxAttempts) throw failure;
        const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        await clock.sleep(retryAfterMs === undefined ? backoff : Math.min(maxDelayMs, retryAfterMs), signal);
      }
    },
  };
}
