import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasErrorCode } from '@pipewright/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openLineageValidator } from '../../../test/helpers/openlineage.ts';
import { createEmitter } from './emitter.ts';
import type { LineageEvent } from './events.ts';
import { datasetEvent, jobEvent, runEvent } from './events.ts';
import { fileTransport } from './transports/file.ts';
import { compositeTransport, consoleTransport, noopTransport } from './transports/simple.ts';
import type { LineageTransport } from './transports/types.ts';

const dir = await mkdtemp(join(tmpdir(), 'pw-lineage-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const job = { namespace: 'n', name: 'j' };
const signal = new AbortController().signal;

describe('fileTransport', () => {
  it('appends NDJSON, one line per event, across emitters and restarts; creates the directory', async () => {
    const path = join(dir, 'nested', 'lineage.ndjson');
    const first = createEmitter({ transport: fileTransport({ path }) });
    first.emit(runEvent({ eventType: 'START', job }));
    first.emit(datasetEvent({ dataset: { namespace: 'file', name: '/x' } }));
    await first.close();
    const second = createEmitter({ transport: fileTransport({ path, fsync: true }) });
    second.emit(jobEvent({ job }));
    await second.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    const events = lines.slice(0, -1).map((l) => JSON.parse(l));
    expect(events).toHaveLength(3);
    const v = openLineageValidator();
    for (const e of events) expect(v.event(e)).toEqual([]);
  });

  it('a failed write is reported and the next batch tries again', async () => {
    const path = join(dir, 'is-a-dir');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path);
    const transport = fileTransport({ path });
    await expect(transport.send([runEvent({ eventType: 'START', job })], signal)).rejects.toThrow();
    await rm(path, { recursive: true });
    await transport.send([runEvent({ eventType: 'START', job })], signal);
    await transport.close?.();
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(2);
    expect(() => fileTransport({ path: '' })).toThrow(/path/);
  });
});

describe('console, noop and composite transports', () => {
  it('console writes one JSON document per event', async () => {
    const lines: string[] = [];
    const event = runEvent({ eventType: 'START', job });
    await consoleTransport({ write: (l) => lines.push(l) }).send([event, event], signal);
    await consoleTransport({ write: (l) => lines.push(l), pretty: true }).send([event], signal);
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toEqual(JSON.parse(JSON.stringify(event)));
    expect(lines[2]).toContain('\n  "eventType"');
  });

  it('noop accepts everything', async () => {
    await expect(noopTransport().send([runEvent({ eventType: 'START', job })], signal)).resolves.toBeUndefined();
  });

  it('composite sends to all; an event counts as failed if any transport failed it', async () => {
    const a: LineageEvent[] = [];
    const good: LineageTransport = { name: 'good', send: async (e) => void a.push(...e) };
    let closed = 0;
    const bad: LineageTransport = {
      name: 'bad',
      send: () => Promise.reject(new Error('down')),
      close: async () => void closed++,
    };
    const events = [runEvent({ eventType: 'START', job }), runEvent({ eventType: 'COMPLETE', job })];
    await compositeTransport([good, good]).send(events, signal);
    expect(a).toHaveLength(4);
    let error: unknown;
    try {
      await compositeTransport([good, bad]).send(events, signal);
    } catch (e) {
      error = e;
    }
    expect(hasErrorCode(error, 'PW_LINEAGE_DELIVERY')).toBe(true);
    expect((error as { failedEvents: unknown[] }).failedEvents).toHaveLength(2);
    await expect(compositeTransport([bad, bad]).send(events, signal)).rejects.toThrow(/several transports failed/);
    await compositeTransport([good, bad]).close?.();
    expect(closed).toBe(1);
    expect(compositeTransport([good, bad]).name).toBe('composite(good,bad)');
  });
});

describe('events that cannot be serialised', () => {
  it('fail alone: the rest of the batch is written and the failure names them', async () => {
    const path = join(dir, 'partial.ndjson');
    const errors: [Error, number][] = [];
    const emitter = createEmitter({
      transport: fileTransport({ path }),
      onError: (e, events) => errors.push([e, events.length]),
    });
    const bad = runEvent({
      eventType: 'OTHER',
      job,
      run: { facets: { x: { _producer: 'https://p', _schemaURL: 'https://s', n: 1n } as never } },
    });
    emitter.emit(runEvent({ eventType: 'START', job }));
    emitter.emit(bad);
    emitter.emit(runEvent({ eventType: 'COMPLETE', job }));
    await emitter.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).eventType)).toEqual(['START', 'COMPLETE']);
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toBe(1);
    expect(errors[0]![0].message).toMatch(/BigInt/);
    expect(emitter.stats()).toMatchObject({ delivered: 2, failed: 1 });
  });
});
