// `npm run bench -- lineage`: what emitting lineage costs the job (enqueue, ns/op, against building the same
// event as a plain object literal), and how fast events are delivered to a file and to a local HTTP endpoint,
// against writing/POSTing the same JSON directly. BENCH_SCALE (default 100,000) is the number of events emitted;
// HTTP cases use BENCH_SCALE / 50 events (at least 500).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '@pipewright/lineage';
import { createEmitter, fileTransport, httpTransport, noopTransport, runEvent, uuidv7 } from '@pipewright/lineage';
import { benchRuns, benchScale, interleave, report } from './lib/harness.ts';

const scale = benchScale(100_000);
const runs = benchRuns();
const httpEvents = Math.max(500, Math.floor(scale / 50));
const dir = mkdtempSync(join(tmpdir(), 'pw-bench-lineage-'));

const job = { namespace: 'bench', name: 'orders.sync' };
const inputs = [{ namespace: 'postgres://db:5432', name: 'shop.public.orders' }];
const outputs = [{ namespace: 'postgres://db:5432', name: 'shop.analytics.totals' }];
const producer = 'https://github.com/pipewright/pipewright/tree/main/packages/lineage';
const runIds = Array.from({ length: 16 }, () => uuidv7());

// The same event as the builder makes, written out by hand: the cost a job pays anyway to describe the event.
function literal(i: number): RunEvent {
  return {
    eventType: 'RUNNING',
    eventTime: new Date().toISOString(),
    producer,
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: runIds[i & 15] as string },
    job,
    inputs,
    outputs,
  };
}

const built = (i: number): RunEvent =>
  runEvent({ eventType: 'RUNNING', job, run: { runId: runIds[i & 15] as string }, inputs, outputs });

let sink = 0;
const emitter = createEmitter({ transport: noopTransport(), capacity: scale + 1, maxBatch: 1000 });

const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    sink += bytes;
    res.writeHead(201).end();
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

try {
  const enqueue = await interleave(
    [
      {
        name: 'object_literal',
        run: () => {
          for (let i = 0; i < scale; i++) sink += literal(i).eventType.length;
          return scale;
        },
      },
      {
        name: 'literal_and_emit',
        run: () => {
          for (let i = 0; i < scale; i++) emitter.emit(literal(i));
          return scale;
        },
        before: async () => void (await emitter.flush(60_000)),
      },
      {
        name: 'runevent_and_emit',
        run: () => {
          for (let i = 0; i < scale; i++) emitter.emit(built(i));
          return scale;
        },
        before: async () => void (await emitter.flush(60_000)),
      },
    ],
    runs,
  );

  let fileIndex = 0;
  const delivery = await interleave(
    [
      {
        name: 'raw_file_append',
        run: async () => {
          const handle = await open(join(dir, `raw-${fileIndex++}.ndjson`), 'a');
          for (let start = 0; start < scale; start += 100) {
            let text = '';
            for (let i = start; i < Math.min(scale, start + 100); i++) text += `${JSON.stringify(literal(i))}\n`;
            await handle.appendFile(text);
          }
          await handle.close();
          return scale;
        },
      },
      {
        name: 'file_delivery',
        run: async () => {
          const e = createEmitter({
            transport: fileTransport({ path: join(dir, `emit-${fileIndex++}.ndjson`) }),
            capacity: scale + 1,
          });
          for (let i = 0; i < scale; i++) e.emit(literal(i));
          const result = await e.close(120_000);
          if (!result.complete || e.stats().delivered !== scale) throw new Error('file delivery incomplete');
          return scale;
        },
      },
      {
        name: 'raw_fetch_4',
        run: async () => {
          let next = 0;
          await Promise.all(
            Array.from({ length: 4 }, async () => {
              while (next < httpEvents) {
                const body = JSON.stringify(literal(next++));
                const res = await fetch(`${url}/api/v1/lineage`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body,
                });
                await res.text();
              }
            }),
          );
          return httpEvents;
        },
      },
      {
        name: 'http_delivery',
        run: async () => {
          const e = createEmitter({ transport: httpTransport({ url, concurrency: 4 }), capacity: httpEvents + 1 });
          for (let i = 0; i < httpEvents; i++) e.emit(literal(i));
          const result = await e.close(120_000);
          if (!result.complete || e.stats().delivered !== httpEvents) throw new Error('http delivery incomplete');
          return httpEvents;
        },
      },
    ],
    runs,
  );

  const cases = { ...enqueue, ...delivery };
  const ns = (name: string): number => cases[name]!.ns_per_op!;
  report({
    name: 'lineage',
    scale,
    runs,
    env: { http_events: httpEvents },
    cases,
    ratios: {
      emit_overhead_ns: ns('literal_and_emit') - ns('object_literal'),
      build_and_emit_overhead_ns: ns('runevent_and_emit') - ns('object_literal'),
      file_delivery_vs_raw_append: cases.file_delivery!.per_s! / cases.raw_file_append!.per_s!,
      http_delivery_vs_raw_fetch: cases.http_delivery!.per_s! / cases.raw_fetch_4!.per_s!,
    },
  });
  if (sink < 0) console.log(sink);
} finally {
  await emitter.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
