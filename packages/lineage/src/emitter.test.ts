import { FakeClock, hasErrorCode } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { createEmitter, LineageEmitter } from './emitter.ts';
import { LineageDeliveryError } from './errors.ts';
import type { LineageEvent, RunEvent } from './events.ts';
import { runEvent } from './events.ts';
import type { LineageTransport } from './transports/types.ts';

const job = { namespace: 'n', name: 'j' };
const runId = '01900000-0000-7000-8000-000000000000';
const event = (i: number): RunEvent =>
  runEvent({
    eventType: 'RUNNING',
    job,
    run: { runId },
    eventTime: new Date(i * 1000),
    inputs: [{ namespace: 'n', name: `d${i}` }],
  });
const seq = (e: LineageEvent): number => Number((e as RunEvent).inputs[0]!.name.slice(1));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A transport that records batches and, when gated, holds each send until released. */
function recording(options: { gated?: boolean; fail?: (batch: readonly LineageEvent[]) => Error | undefined } = {}) {
  const received: LineageEvent[] = [];
  const batches: number[] = [];
  const gates: (() => void)[] = [];
  let closed = 0;
  const transport: LineageTransport = {
    name: 'recording',
    async send(events, signal) {
      batches.push(events.length);
      if (options.gated) {
        await new Promise<void>((resolve, reject) => {
          gates.push(resolve);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
      const error = options.fail?.(events);
      if (error) throw error;
      received.push(...events);
    },
    async close() {
      closed++;
    },
  };
  return {
    transport,
    received,
    batches,
    release: () => {
      for (const g of gates.splice(0)) g();
    },
    get closed() {
      return closed;
    },
  };
}

describe('LineageEmitter', () => {
  it('delivers in emission order, in batches, in the background', async () => {
    const r = recording();
    const emitter = createEmitter({ transport: r.transport, maxBatch: 7 });
    for (let i = 0; i < 50; i++) expect(emitter.emit(event(i))).toBe(true);
    expect(r.received).toHaveLength(0); // nothing happened on the caller's path
    expect(await emitter.flush()).toEqual({ complete: true, pending: 0 });
    expect(r.received.map(seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Math.max(...r.batches)).toBeLessThanOrEqual(7);
    expect(emitter.stats()).toEqual({ emitted: 50, delivered: 50, failed: 0, dropped: 0, pending: 0, inFlight: 0 });
  });

  it('drop-oldest: a full buffer discards the oldest waiting events and counts them', async () => {
    const r = recording({ gated: true });
    const errors: Error[] = [];
    const emitter = createEmitter({ transport: r.transport, capacity: 5, maxBatch: 1, onError: (e) => errors.push(e) });
    emitter.emit(event(0));
    await tick(); // event 0 is now in flight, the buffer is empty
    for (let i = 1; i <= 12; i++) emitter.emit(event(i));
    expect(emitter.stats()).toMatchObject({ emitted: 13, dropped: 7, pending: 5, inFlight: 1 });
    for (let i = 0; i < 10 && emitter.stats().pending + emitter.stats().inFlight > 0; i++) {
      r.release();
      await tick();
    }
    await emitter.flush();
    expect(r.received.map(seq)).toEqual([0, 8, 9, 10, 11, 12]);
    expect(errors.some((e) => hasErrorCode(e, 'PW_LINEAGE_DROPPED') && /7 lineage event/.test(e.message))).toBe(true);
  });

  it('drop-newest: a full buffer refuses new events (emit returns false) and counts them', async () => {
    const r = recording({ gated: true });
    const emitter = createEmitter({
      transport: r.transport,
      capacity: 3,
      maxBatch: 10,
      overflow: 'drop-newest',
      onError: () => {},
    });
    const accepted = Array.from({ length: 6 }, (_, i) => emitter.emit(event(i)));
    expect(accepted).toEqual([true, true, true, false, false, false]);
    expect(emitter.stats().dropped).toBe(3);
    await tick();
    r.release();
    await emitter.flush();
    expect(r.received.map(seq)).toEqual([0, 1, 2]);
  });

  it('reports failures to onError with the events, counts them, and goes on', async () => {
    const calls: [Error, number][] = [];
    let n = 0;
    const r = recording({
      fail: (batch) => {
        n++;
        if (n === 1) return new Error('disk full');
        if (n === 2) return new LineageDeliveryError('recording', [batch[0]], new Error('one bad'));
        return undefined;
      },
    });
    const emitter = createEmitter({
      transport: r.transport,
      maxBatch: 2,
      onError: (e, events) => calls.push([e, events.length]),
    });
    for (let i = 0; i < 6; i++) emitter.emit(event(i));
    await emitter.flush();
    expect(calls.map(([e, count]) => [e.message, count])).toEqual([
      ['disk full', 2],
      [expect.stringMatching(/could not deliver 1 event/), 1],
    ]);
    expect(emitter.stats()).toMatchObject({ emitted: 6, delivered: 3, failed: 3 });
  });

  it('an onError that throws does not break anything', async () => {
    const r = recording({ fail: () => new Error('x') });
    const emitter = createEmitter({
      transport: r.transport,
      onError: () => {
        throw new Error('handler bug');
      },
    });
    emitter.emit(event(1));
    expect(await emitter.flush()).toEqual({ complete: true, pending: 0 });
    expect(emitter.stats().failed).toBe(1);
  });

  it('close() delivers what is pending, closes the transport once, and drops later events', async () => {
    const r = recording();
    const errors: Error[] = [];
    const emitter = createEmitter({ transport: r.transport, onError: (e) => errors.push(e) });
    for (let i = 0; i < 20; i++) emitter.emit(event(i));
    const [a, b] = await Promise.all([emitter.close(), emitter.close()]);
    expect(a).toEqual({ complete: true, pending: 0 });
    expect(b).toBe(a);
    expect(r.received).toHaveLength(20);
    expect(r.closed).toBe(1);
    expect(emitter.emit(event(99))).toBe(false);
    expect(emitter.stats()).toMatchObject({ delivered: 20, dropped: 1 });
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/emitter is closed/)]);
  });

  it('flush() and close() give up after their timeout (FakeClock), aborting and counting what is left', async () => {
    const clock = new FakeClock();
    const r = recording({ gated: true });
    const errors: Error[] = [];
    const emitter = createEmitter({ transport: r.transport, clock, maxBatch: 2, onError: (e) => errors.push(e) });
    for (let i = 0; i < 5; i++) emitter.emit(event(i));
    await tick();
    const flushed = emitter.flush(1000);
    await clock.advance(1000);
    expect(await flushed).toEqual({ complete: false, pending: 5 });
    const closing = emitter.close(2000);
    await clock.advance(2000);
    await clock.advance(1000);
    expect(await closing).toEqual({ complete: false, pending: 5 });
    expect(emitter.stats()).toMatchObject({ delivered: 0, failed: 2, dropped: 3, pending: 0, inFlight: 0 });
    expect(errors.some((e) => /Dropped 3 lineage event/.test(e.message))).toBe(true);
    expect(r.closed).toBe(1);
  });

  it('validates its options', () => {
    expect(() => new LineageEmitter({ capacity: 0 })).toThrow(/capacity/);
    expect(() => new LineageEmitter({ maxBatch: 1.5 })).toThrow(/maxBatch/);
    expect(() => new LineageEmitter({ overflow: 'drop-random' as never })).toThrow(/overflow/);
    expect(() => new LineageEmitter({ transport: {} as never })).toThrow(/transport/);
  });

  it('without a transport, events go nowhere but are counted; the default onError warns once', async () => {
    const emitter = createEmitter();
    emitter.emit(event(1));
    await emitter.flush();
    expect(emitter.stats().delivered).toBe(1);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const failing = createEmitter({ transport: { name: 'x', send: () => Promise.reject(new Error('nope')) } });
      failing.emit(event(1));
      failing.emit(event(2));
      await failing.flush();
      failing.emit(event(3));
      await failing.flush();
      await tick();
      expect(warnings.filter((w) => w.includes('nope'))).toHaveLength(1);
      expect(failing.stats().failed).toBe(3);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
