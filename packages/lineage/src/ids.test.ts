import { FakeClock } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { deterministicRunId, isRunId, uuidv5, uuidv7 } from './ids.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is RFC 9562 v7 with the clock time in its first 48 bits', () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 14, 30));
    const id = uuidv7(clock);
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(clock.now());
    expect(isRunId(id)).toBe(true);
    expect(uuidv7()).toMatch(V7);
  });

  it('sorts in creation order, also many ids within one millisecond and when the clock steps back', () => {
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      ids.push(uuidv7(clock));
      if (i === 5000) clock.set(clock.now() - 5_000); // wall clock stepped back a little
      if (i % 3000 === 0) clock.set(clock.now() + 1);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(V7);
    // A jump back of more than 10 s (a reset clock) is followed: the id carries the new time.
    clock.set(clock.now() - 3_600_000);
    expect(Number.parseInt(uuidv7(clock).replace(/-/g, '').slice(0, 12), 16)).toBe(clock.now());
  });
});

describe('uuidv5 and deterministic run ids', () => {
  it('matches the RFC 9562 / Python uuid5 test vector', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidv5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(() => uuidv5('x', 'nope')).toThrow(/namespace/);
    expect(() => uuidv5(1 as never)).toThrow(/name/);
  });

  it('same run description, same id; any difference, another id', () => {
    const a = deterministicRunId({ jobNamespace: 'etl', jobName: 'orders', key: '2026-11-21' });
    expect(a).toBe(deterministicRunId({ jobNamespace: 'etl', jobName: 'orders', key: '2026-11-21' }));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5/);
    expect(a).not.toBe(deterministicRunId({ jobNamespace: 'etl', jobName: 'orders', key: '2026-11-22' }));
    // Parts are length-prefixed: shifting a separator between parts changes the id.
    expect(deterministicRunId({ jobNamespace: 'a', jobName: 'b|c', key: 'd' })).not.toBe(
      deterministicRunId({ jobNamespace: 'a|b', jobName: 'c', key: 'd' }),
    );
  });

  it('with `at`, a deterministic UUIDv7 that carries that time', () => {
    const at = new Date('2026-11-21T00:00:00Z');
    const id = deterministicRunId({ jobNamespace: 'etl', jobName: 'orders', key: 'k', at });
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at.getTime());
    expect(id).toBe(deterministicRunId({ jobNamespace: 'etl', jobName: 'orders', key: 'k', at: at.getTime() }));
    expect(() => deterministicRunId({ jobNamespace: 'etl', jobName: 'orders', key: 'k', at: Number.NaN })).toThrow(
      /at/,
    );
    expect(() => deterministicRunId({ jobNamespace: 'etl', jobName: '', key: 'k' })).toThrow(/jobName/);
  });
});
