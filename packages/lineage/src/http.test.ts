import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { FakeClock, hasErrorCode } from '@pipewright/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openLineageValidator } from '../../../test/helpers/openlineage.ts';
import { createEmitter } from './emitter.ts';
import type { RunEvent, RunEventType } from './events.ts';
import { runEvent } from './events.ts';
import type { HttpRetryInfo } from './transports/http.ts';
import { httpTransport } from './transports/http.ts';

type Behaviour = 'ok' | '500' | '429' | 'slow' | '400';

interface Received {
  event: RunEvent;
  headers: IncomingMessage['headers'];
  url: string | undefined;
}

/** A local OpenLineage endpoint on 127.0.0.1 whose answer to each attempt at an event is scripted. */
async function lineageServer(script: (key: string, attempt: number) => Behaviour) {
  const accepted: Received[] = [];
  const attempts = new Map<string, Behaviour[]>();
  let held = 0;
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const event = JSON.parse(body.toString('utf8')) as RunEvent;
    const key = `${event.run.runId}/${event.eventType}`;
    const seen = attempts.get(key) ?? [];
    const behaviour = script(key, seen.length + 1);
    seen.push(behaviour);
    attempts.set(key, seen);
    if (req.url?.split('?')[0] !== '/api/v1/lineage') return void res.writeHead(404).end();
    switch (behaviour) {
      case 'ok':
        accepted.push({ event, headers: req.headers, url: req.url });
        return void res.writeHead(201).end();
      case '500':
        return void res.writeHead(500).end('boom');
      case '429':
        return void res.writeHead(429, { 'Retry-After': '2' }).end();
      case '400':
        return void res.writeHead(400).end('bad event');
      case 'slow':
        // Never answers: the client times out and closes; the event was not accepted.
        held++;
        res.on('close', () => held--);
        return;
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    attempts,
    get held() {
      return held;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Counts fetches still waiting for an answer (body included), to know when the client is idle. */
function countingFetch() {
  let inFlight = 0;
  const fetchFn: typeof fetch = async (input, init) => {
    inFlight++;
    try {
      const response = await fetch(input, init);
      const text = await response.text();
      return new Response(text, { status: response.status, headers: response.headers });
    } finally {
      inFlight--;
    }
  };
  return {
    fetch: fetchFn,
    get inFlight() {
      return inFlight;
    },
  };
}

const realWait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Drives a FakeClock while real HTTP happens: time moves only when every request in flight is one the server
 * holds on purpose, so a timeout can never fire on a request that is merely slow on this busy machine.
 */
async function pump(clock: FakeClock, done: () => boolean, idle: () => boolean, stepMs = 100): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('pump: gave up after 20 s of real time');
    await realWait(1);
    if (idle()) {
      await realWait(1);
      if (idle()) await clock.advance(stepMs);
    }
  }
}

const job = { namespace: 'shop-etl', name: 'orders.sync' };
const LIFECYCLE: RunEventType[] = ['START', 'RUNNING', 'RUNNING', 'OTHER', 'COMPLETE'];

function runEvents(runIds: string[], clock: FakeClock): RunEvent[] {
  const events: RunEvent[] = [];
  // Interleaved across runs, as concurrent jobs would emit them.
  for (const [step, eventType] of LIFECYCLE.entries()) {
    for (const runId of runIds) {
      events.push(
        runEvent({ eventType, job, run: { runId }, clock, inputs: [{ namespace: 'step', name: String(step) }] }),
      );
    }
  }
  return events;
}

describe('httpTransport against a failing local endpoint', () => {
  it('500, 429 with Retry-After and a slow answer before acceptance: every event arrives exactly once, in order per run', async () => {
    const RUN_IDS = [
      '01930000-0000-7000-8000-000000000001',
      '01930000-0000-7000-8000-000000000002',
      '01930000-0000-7000-8000-000000000003',
    ];
    // The first RUNNING of each run is refused three ways before it is accepted; START of run 2 gets a 500.
    const server = await lineageServer((key, attempt) => {
      if (key.endsWith('/RUNNING') && attempt <= 3) return (['500', '429', 'slow'] as const)[attempt - 1]!;
      if (key.startsWith(RUN_IDS[1]!) && key.endsWith('/START') && attempt === 1) return '500';
      return 'ok';
    });
    servers.push(server);
    const clock = new FakeClock(Date.UTC(2026, 10, 21));
    const counting = countingFetch();
    const retries: (HttpRetryInfo & { at: number })[] = [];
    const errors: Error[] = [];
    const emitter = createEmitter({
      clock,
      maxBatch: 4,
      onError: (e) => errors.push(e),
      transport: httpTransport({
        url: server.url,
        token: 'tok-123',
        timeoutMs: 1000,
        maxAttempts: 5,
        baseDelayMs: 100,
        random: () => 0.5,
        clock,
        fetch: counting.fetch,
        onRetry: (info) => retries.push({ ...info, at: clock.now() }),
      }),
    });
    const events = runEvents(RUN_IDS, clock);
    for (const event of events) emitter.emit(event);
    await pump(
      clock,
      () => emitter.stats().delivered + emitter.stats().failed === events.length,
      () => counting.inFlight === server.held,
    );

    expect(errors).toEqual([]);
    expect(emitter.stats()).toMatchObject({ emitted: 15, delivered: 15, failed: 0, dropped: 0 });
    // Exactly once, in emission order, per run — the first RUNNING of a run repeated nowhere.
    for (const runId of RUN_IDS) {
      const got = server.accepted.filter((r) => r.event.run.runId === runId).map((r) => r.event.inputs[0]!.name);
      expect(got).toEqual(['0', '1', '2', '3', '4']);
    }
    expect(server.accepted).toHaveLength(15);
    // The server really saw the failures.
    const firstRunning = server.attempts.get(`${RUN_IDS[0]}/RUNNING`);
    expect(firstRunning).toEqual(['500', '429', 'slow', 'ok', 'ok']);
    // Backoff: full jitter on 100 ms doubling (random 0.5 → 50, 100, …); Retry-After: 2 s honoured after the 429.
    const after429 = retries.filter((r) => r.classification.reason === 'http 429');
    expect(after429.length).toBe(3);
    for (const r of after429) expect(r.delayMs).toBe(2000);
    const after500 = retries.filter((r) => r.classification.reason === 'http 500');
    expect(after500.map((r) => r.delayMs)).toEqual([50, 50, 50, 50]);
    const afterTimeout = retries.filter((r) => r.classification.reason === 'timed out');
    expect(afterTimeout.map((r) => r.delayMs)).toEqual([200, 200, 200]);
    // Bearer token and JSON content type on every accepted request; events valid per spec.
    const v = openLineageValidator();
    for (const { event, headers } of server.accepted) {
      expect(headers.authorization).toBe('Bearer tok-123');
      expect(headers['content-type']).toBe('application/json');
      expect(v.event(event)).toEqual([]);
    }
    await emitter.close();
  });

  it('gzip: bodies are compressed and decode to the same event', async () => {
    const server = await lineageServer(() => 'ok');
    servers.push(server);
    // An endpoint without its leading slash and a query string on the URL both reach the right place.
    const emitter = createEmitter({
      transport: httpTransport({ url: `${server.url}/?tenant=t1`, endpoint: 'api/v1/lineage', gzip: true }),
    });
    const event = runEvent({ eventType: 'START', job });
    emitter.emit(event);
    await emitter.close();
    expect(server.accepted).toHaveLength(1);
    expect(server.accepted[0]!.headers['content-encoding']).toBe('gzip');
    expect(server.accepted[0]!.url).toBe('/api/v1/lineage?tenant=t1');
    expect(server.accepted[0]!.event).toEqual(JSON.parse(JSON.stringify(event)));
  });

  it('a 400 is not retried: reported with the event, and the run’s later events still go', async () => {
    const server = await lineageServer((key) => (key.endsWith('/RUNNING') ? '400' : 'ok'));
    servers.push(server);
    const failures: [Error, number][] = [];
    const emitter = createEmitter({
      transport: httpTransport({ url: server.url }),
      onError: (e, events) => failures.push([e, events.length]),
    });
    const runId = '01930000-0000-7000-8000-00000000000a';
    for (const eventType of ['START', 'RUNNING', 'COMPLETE'] as const)
      emitter.emit(runEvent({ eventType, job, run: { runId } }));
    await emitter.close();
    expect(server.attempts.get(`${runId}/RUNNING`)).toEqual(['400']);
    expect(server.accepted.map((r) => r.event.eventType)).toEqual(['START', 'COMPLETE']);
    expect(failures).toHaveLength(1);
    expect(hasErrorCode(failures[0]![0], 'PW_LINEAGE_DELIVERY')).toBe(true);
    expect(hasErrorCode(failures[0]![0].cause, 'PW_LINEAGE_HTTP')).toBe(true);
    expect(String((failures[0]![0].cause as Error).message)).toMatch(/answered 400: bad event/);
    expect(emitter.stats()).toMatchObject({ delivered: 2, failed: 1 });
  });

  it('an endpoint that is down: retried up to maxAttempts with backoff, then reported; the job never sees it', async () => {
    const server = await lineageServer(() => 'ok');
    const url = server.url;
    await server.close(); // nothing listens on that port any more
    const clock = new FakeClock();
    const retries: HttpRetryInfo[] = [];
    const errors: Error[] = [];
    const counting = countingFetch();
    const emitter = createEmitter({
      clock,
      onError: (e) => errors.push(e),
      transport: httpTransport({
        url,
        clock,
        maxAttempts: 3,
        baseDelayMs: 1000,
        fetch: counting.fetch,
        onRetry: (i) => retries.push(i),
      }),
    });
    emitter.emit(runEvent({ eventType: 'START', job }));
    await pump(
      clock,
      () => emitter.stats().failed === 1,
      () => counting.inFlight === 0,
      500,
    );
    expect(retries.map((r) => r.classification.kind)).toEqual(['transient', 'transient']);
    expect(retries.map((r) => r.delayMs).every((d, i) => d >= 0 && d < 1000 * 2 ** i)).toBe(true);
    expect(errors).toHaveLength(1);
    expect(hasErrorCode(errors[0], 'PW_LINEAGE_DELIVERY')).toBe(true);
  });

  it('close() delivers pending events even when the endpoint first fails', async () => {
    let calls = 0;
    const server = await lineageServer(() => (++calls === 1 ? '500' : 'ok'));
    servers.push(server);
    const emitter = createEmitter({ transport: httpTransport({ url: server.url, baseDelayMs: 1 }) });
    const runId = '01930000-0000-7000-8000-00000000000b';
    for (const eventType of ['START', 'RUNNING', 'COMPLETE'] as const)
      emitter.emit(runEvent({ eventType, job, run: { runId } }));
    expect(await emitter.close(10_000)).toEqual({ complete: true, pending: 0 });
    expect(server.accepted.map((r) => r.event.eventType)).toEqual(['START', 'RUNNING', 'COMPLETE']);
  });

  it('refuses credentials in the URL and bad options, without echoing the password', () => {
    let error: unknown;
    try {
      httpTransport({ url: 'http://user:hunter2@marquez:5000' });
    } catch (e) {
      error = e;
    }
    expect(hasErrorCode(error, 'PW_INVALID_OPTION')).toBe(true);
    expect(String(error)).not.toContain('hunter2');
    expect(() => httpTransport({ url: 'ftp://x' })).toThrow(/url/);
    expect(() => httpTransport({ url: 'not a url' })).toThrow(/url/);
    expect(() => httpTransport({ url: 1 as never })).toThrow(/url/);
    expect(() => httpTransport({ url: 'http://x', timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => httpTransport({ url: 'http://x', concurrency: 1.5 })).toThrow(/concurrency/);
  });
});
