import { FakeClock } from '@pipewright/core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createEmitter } from './emitter.ts';
import type { RunEvent } from './events.ts';
import { runEvent } from './events.ts';
import { httpTransport } from './transports/http.ts';

type Answer = 'ok' | '500' | '503' | '429' | 'slow' | 'reset';

/**
 * A fetch standing in for an endpoint that answers each attempt as scripted; only `ok` accepts the event. `slow`
 * never answers (the client times out), `reset` is a network error. No sockets: the property runs many times fast.
 */
function scriptedFetch(answers: Answer[]) {
  const accepted: RunEvent[] = [];
  let next = 0;
  const fetchFn: typeof fetch = (_url, init) => {
    const answer = answers[next++] ?? 'ok'; // after the script, the endpoint is healthy
    const event = JSON.parse(String(init?.body)) as RunEvent;
    switch (answer) {
      case 'ok':
        accepted.push(event);
        return Promise.resolve(new Response(null, { status: 201 }));
      case '429':
        return Promise.resolve(new Response(null, { status: 429, headers: { 'Retry-After': '1' } }));
      case 'reset':
        return Promise.reject(
          new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }),
        );
      case 'slow':
        return new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
        });
      default:
        return Promise.resolve(new Response('boom', { status: Number(answer) }));
    }
  };
  return { fetch: fetchFn, accepted };
}

const RUN_IDS = [1, 2, 3, 4].map((n) => `01930000-0000-7000-8000-00000000000${n}`);
const job = { namespace: 'n', name: 'j' };

it('whatever the endpoint answers, each run’s events arrive exactly once and in emission order', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }), // which run emits next
      fc.array(fc.constantFrom<Answer>('ok', 'ok', 'ok', '500', '503', '429', 'slow', 'reset'), {
        minLength: 1,
        maxLength: 30,
      }),
      fc.integer({ min: 1, max: 8 }), // batch size
      fc.integer({ min: 1, max: 4 }), // concurrency
      async (emitters, answers, maxBatch, concurrency) => {
        // At most 30 refusals in all and 50 attempts per event: nothing may legitimately fail.
        const clock = new FakeClock();
        const endpoint = scriptedFetch(answers);
        const emitter = createEmitter({
          clock,
          maxBatch,
          transport: httpTransport({
            url: 'http://lineage.test',
            fetch: endpoint.fetch,
            clock,
            concurrency,
            maxAttempts: 50,
            timeoutMs: 1000,
            baseDelayMs: 10,
            maxDelayMs: 100,
          }),
          onError: (error) => {
            throw error;
          },
        });
        const sent = new Map<string, number[]>(RUN_IDS.map((id) => [id, []]));
        emitters.forEach((r, seq) => {
          const runId = RUN_IDS[r]!;
          sent.get(runId)!.push(seq);
          emitter.emit(
            runEvent({
              eventType: 'RUNNING',
              job,
              run: { runId },
              clock,
              inputs: [{ namespace: 'seq', name: String(seq) }],
            }),
          );
        });
        for (let i = 0; i < 10_000 && emitter.stats().delivered + emitter.stats().failed < emitters.length; i++) {
          await clock.advance(250);
        }
        expect(emitter.stats()).toMatchObject({ delivered: emitters.length, failed: 0, dropped: 0 });
        for (const runId of RUN_IDS) {
          const got = endpoint.accepted.filter((e) => e.run.runId === runId).map((e) => Number(e.inputs[0]!.name));
          expect(got).toEqual(sent.get(runId));
        }
        await emitter.close();
      },
    ),
    { numRuns: 60 },
  );
}, 60_000);
