import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '@pipewright/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertDeliveryError } from '../errors.ts';
import { job } from '../job.ts';
import { step } from '../step.ts';
import { slackPayload } from './slack.ts';
import type { Alert, Notifier } from './types.ts';
import { webhookNotifier } from './webhook.ts';

interface Received {
  path: string;
  contentType: string | undefined;
  body: { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[] };
}

let server: Server;
let base: string;
const received: Received[] = [];
/** Status codes to answer with, in order; then 200. */
let script: { status: number; headers?: Record<string, string> }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(data) });
      const next = script.shift() ?? { status: 200 };
      res.writeHead(next.status, next.headers).end(next.status === 200 ? 'ok' : 'nope');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  script = [];
});

const failing = () => [
  step('extract', async () => {}),
  step(
    'load',
    async () => {
      throw new Error('duplicate key value violates unique constraint "orders_pkey" <id>');
    },
    { dependsOn: ['extract'] },
  ),
];

describe('alerts', () => {
  it('POSTs a Slack-compatible payload naming pipeline, step, error, run id and link', async () => {
    const result = await job('orders-sync', failing(), {
      alerts: {
        notifiers: webhookNotifier({ url: `${base}/hooks/T000/B000/secret` }),
        runUrl: (runId) => `https://grafana.example/explore?run=${runId}`,
        linkText: (runId) => `Logs for run ${runId}`,
      },
    }).run();
    expect(result.status).toBe('failed');
    expect(result.alerts).toEqual([{ notifier: 'webhook', type: 'failure', delivered: true, error: undefined }]);
    expect(received).toHaveLength(1);
    const [hit] = received;
    expect(hit?.path).toBe('/hooks/T000/B000/secret');
    expect(hit?.contentType).toBe('application/json');
    const text = hit?.body.text ?? '';
    expect(text).toContain('*orders-sync*');
    expect(text).toContain('at step *load*');
    expect(text).toContain('duplicate key value violates unique constraint "orders_pkey" &lt;id&gt;');
    expect(text).toContain(`(run ${result.runId})`);
    expect(text).toContain(`<https://grafana.example/explore?run=${result.runId}|Logs for run ${result.runId}>`);
    const fields = hit?.body.blocks.find((b) => b.fields)?.fields?.map((f) => f.text);
    expect(fields).toEqual(
      expect.arrayContaining(['*Pipeline*\norders-sync', `*Run*\n${result.runId}`, '*Step*\nload']),
    );
  });

  it('retries 503 and 429 (honouring Retry-After) on the clock, then delivers', async () => {
    const clock = new FakeClock(0);
    script = [{ status: 503 }, { status: 429, headers: { 'retry-after': '3' } }];
    const notifier = webhookNotifier({ url: `${base}/retry`, clock, baseDelayMs: 100 });
    const alert = slackAlert();
    const delivery = notifier.notify(alert, {});
    while (received.length < 2) {
      await clock.advance(50);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(clock.now()).toBeGreaterThanOrEqual(100);
    const beforeThird = clock.now();
    while (received.length < 3) {
      await clock.advance(500);
      await new Promise((r) => setTimeout(r, 2));
    }
    await delivery;
    expect(clock.now() - beforeThird).toBeGreaterThanOrEqual(3000);
    expect(received).toHaveLength(3);
  });

  it('never fails the job: an undeliverable alert is reported in the result', async () => {
    script = [{ status: 400 }];
    const broken: Notifier = {
      name: 'pager',
      notify: async () => {
        throw new Error('pager down');
      },
    };
    const result = await job('orders-sync', failing(), {
      alerts: { notifiers: [webhookNotifier({ url: `${base}/bad` }), broken] },
    }).run();
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('duplicate key');
    expect(result.alerts.map((a) => [a.notifier, a.delivered, a.error?.message])).toEqual([
      ['webhook', false, `Alert to ${base}/… was not delivered: HTTP 400`],
      ['pager', false, 'pager down'],
    ]);
    expect(result.alerts[0]?.error).toBeInstanceOf(AlertDeliveryError);
    expect(received).toHaveLength(1); // 400 is not retried
  });

  it('gives up after maxAttempts on network errors', async () => {
    const clock = new FakeClock(0);
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const notifier = webhookNotifier({ url: `http://127.0.0.1:${port}/x`, clock, maxAttempts: 2, baseDelayMs: 10 });
    const delivery = notifier.notify(slackAlert(), {});
    const settled = expect(delivery).rejects.toThrow(AlertDeliveryError);
    for (let i = 0; i < 50 && clock.pendingTimers === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await clock.advance(10);
    await settled;
  });

  it('alerts on recovery only when asked, after a failed run', async () => {
    const seen: Alert[] = [];
    const notifier: Notifier = { notify: async (alert) => void seen.push(alert) };
    let fail = true;
    const flaky = step('only', async () => {
      if (fail) throw new Error('down');
    });
    const withRecovery = job('recovering', [flaky], { alerts: { notifiers: notifier, onRecovery: true } });
    await withRecovery.run();
    fail = false;
    const recovered = await withRecovery.run();
    await withRecovery.run(); // a success after a success: no alert
    expect(seen.map((a) => a.type)).toEqual(['failure', 'recovery']);
    expect(seen[1]).toMatchObject({
      runId: recovered.runId,
      step: undefined,
      error: undefined,
      linkText: `View run ${recovered.runId}`,
    });
    expect(slackPayload(seen[1]!).text).toContain('recovered');

    const silent: Alert[] = [];
    fail = true;
    const noRecovery = job('quiet', [flaky], { alerts: { notifiers: { notify: async (a) => void silent.push(a) } } });
    await noRecovery.run();
    fail = false;
    await noRecovery.run();
    expect(silent.map((a) => a.type)).toEqual(['failure']);
  });

  it('validates options', () => {
    expect(() => webhookNotifier({ url: 'not a url' })).toThrow('Expected `url` to be an absolute http(s) URL');
    expect(() => webhookNotifier({ url: 'ftp://x/y' })).toThrow('`url`');
    expect(() => webhookNotifier({ url: base, maxAttempts: 0 })).toThrow('`maxAttempts`');
    expect(() => job('j', [step('a', async () => {})], { alerts: { notifiers: [{}] as never } })).toThrow(
      '`alerts.notifiers[0]`',
    );
  });
});

function slackAlert(): Alert {
  return {
    type: 'failure',
    pipeline: 'p',
    runId: 'r',
    step: 's',
    error: 'e',
    startedAt: new Date(0),
    finishedAt: new Date(1),
    runUrl: undefined,
    linkText: 'View run r',
  };
}
