import { hasErrorCode, InvalidOptionError } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RejectRateExceededError, SchemaDriftError } from './errors.ts';
import { type Rejection, validateBatch } from './validate.ts';

const Order = z.object({
  id: z.number().int(),
  status: z.enum(['new', 'paid']),
  amount: z.string(),
});

function orders(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_v, i) => ({ id: i + 1, status: i % 2 ? 'paid' : 'new', amount: `${i}.00` }));
}

describe('validateBatch', () => {
  it('returns parsed valid records and keeps the original of each rejection with issues and a reason', async () => {
    const bad = { id: 'x', status: 'paid', amount: '1.00' };
    const result = await validateBatch([...orders(3), bad], Order);
    expect(result.valid).toHaveLength(3);
    expect(result.rejected).toHaveLength(1);
    const [rejection] = result.rejected as [Rejection];
    expect(rejection.record).toBe(bad);
    expect(rejection.index).toBe(3);
    expect(rejection.issues).toEqual([
      { path: ['id'], code: 'invalid_type', message: expect.stringContaining('number') },
    ]);
    expect(rejection.reason).toMatch(/^id: /);
    expect(result.stats).toMatchObject({ total: 4, valid: 3, rejected: 1, rejectRate: 0.25 });
  });

  it('applies transforms on the valid path (the output is the parsed data)', async () => {
    const schema = z.object({ n: z.coerce.number() });
    const result = await validateBatch([{ n: '42' }], schema);
    expect(result.valid).toEqual([{ n: 42 }]);
  });

  it('is strict by default: an unknown field is a rejection, not silently stripped', async () => {
    const records = [...orders(2), { id: 9, status: 'new', amount: '1.00', discount_code: 'X1' }];
    const result = await validateBatch(records, Order, { drift: 'quarantine' });
    expect(result.valid).toHaveLength(2);
    expect(result.rejected[0]?.reason).toBe('unknown field discount_code');
    expect(result.drift.newFields).toEqual([
      { name: 'discount_code', type: 'string', count: 1, sample: 'X1', sampled: false },
    ]);
  });

  it('with strict: false strips unknown fields like zod but still reports them from the sampled key check', async () => {
    const records = orders(3).map((r) => ({ ...r, coupon: 5 }));
    const result = await validateBatch(records, Order, { strict: false, driftSampleEvery: 1 });
    expect(result.valid).toHaveLength(3);
    expect(result.valid[0]).not.toHaveProperty('coupon');
    expect(result.drift.newFields).toEqual([{ name: 'coupon', type: 'integer', count: 3, sample: 5, sampled: true }]);
  });

  it('drift policy fail (default): raises SchemaDriftError after onReject received the records', async () => {
    const records = [...orders(5), ...orders(3).map((r) => ({ ...r, discount_code: 'A' }))];
    const received: Rejection[] = [];
    const error = await validateBatch(records, Order, {
      onReject: (rejected) => {
        received.push(...rejected);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaDriftError);
    expect(hasErrorCode(error, 'PW_SCHEMA_DRIFT')).toBe(true);
    expect((error as SchemaDriftError).drift.newFields[0]).toMatchObject({ name: 'discount_code', count: 3 });
    expect((error as Error).message).toContain('discount_code (string, 3 records)');
    expect(received).toHaveLength(3);
    expect((error as SchemaDriftError).result?.valid).toHaveLength(5);
    expect((error as SchemaDriftError).result?.rejected).toEqual(received);
  });

  it('drift policy evolve: accepts records with new fields, keeps those fields, and reports them', async () => {
    const records = [...orders(2), { id: 7, status: 'paid', amount: '3.00', channel: 'web' }];
    const result = await validateBatch(records, Order, { drift: 'evolve' });
    expect(result.rejected).toEqual([]);
    expect(result.valid).toHaveLength(3);
    expect(result.valid[2]).toEqual({ id: 7, status: 'paid', amount: '3.00', channel: 'web' });
    expect(result.drift.newFields.map((f) => f.name)).toEqual(['channel']);
  });

  it('drift policy evolve still rejects records that are otherwise invalid', async () => {
    const result = await validateBatch([{ id: 'no', status: 'paid', amount: '1', extra: 1 }], Order, {
      drift: 'evolve',
    });
    expect(result.valid).toEqual([]);
    expect(result.rejected).toHaveLength(1);
  });

  it('reports removed and retyped fields as drift', async () => {
    const records = [
      ...orders(4),
      { id: 5, status: 'paid' }, // amount removed
      { id: 6, status: 'paid' },
      { id: 7, status: 'new', amount: 12.5 }, // amount retyped to a number
    ];
    const result = await validateBatch(records, Order);
    expect(result.drift.hasDrift).toBe(true);
    expect(result.drift.missingFields).toEqual([{ name: 'amount', count: 2 }]);
    expect(result.drift.typeChanges).toEqual([
      { name: 'amount', expected: 'string', received: 'number', count: 1, sample: 12.5 },
    ]);
    expect(result.drift.newFields).toEqual([]);
  });

  it('reports nested new fields with a dotted name, array positions collapsed', async () => {
    const schema = z.object({ items: z.array(z.object({ sku: z.string() }).strict()) });
    const result = await validateBatch([{ items: [{ sku: 'a' }, { sku: 'b', qty: 2 }] }], schema, {
      drift: 'quarantine',
    });
    expect(result.drift.newFields).toEqual([
      { name: 'items[].qty', type: 'integer', count: 1, sample: 2, sampled: false },
    ]);
  });

  it('has no drift when nothing changed', async () => {
    const result = await validateBatch(orders(10), Order);
    expect(result.drift).toEqual({ hasDrift: false, newFields: [], missingFields: [], typeChanges: [] });
    expect(result.rejected).toEqual([]);
  });

  describe('maxRejectRate', () => {
    const batch = (bad: number): unknown[] => [...orders(100 - bad), ...Array.from({ length: bad }, () => ({ id: 0 }))];

    it('passes at exactly the threshold', async () => {
      const result = await validateBatch(batch(5), Order, { maxRejectRate: 0.05 });
      expect(result.stats.rejectRate).toBe(0.05);
      expect(result.rejected).toHaveLength(5);
    });

    it('raises a typed error just above it, after onReject received every rejected record', async () => {
      const calls: string[] = [];
      let handed = 0;
      const error = await validateBatch(batch(6), Order, {
        maxRejectRate: 0.05,
        onReject: async (rejected) => {
          await Promise.resolve();
          handed = rejected.length;
          calls.push('onReject');
        },
      }).catch((e: unknown) => {
        calls.push('error');
        return e;
      });
      expect(error).toBeInstanceOf(RejectRateExceededError);
      expect(error).toMatchObject({ code: 'PW_REJECT_RATE_EXCEEDED', rejected: 6, total: 100, rate: 0.06 });
      expect(calls).toEqual(['onReject', 'error']);
      expect(handed).toBe(6);
      expect((error as RejectRateExceededError).result?.rejected).toHaveLength(6);
      expect((error as RejectRateExceededError).result?.valid).toHaveLength(94);
    });

    it('treats an empty batch as a 0 rate', async () => {
      const result = await validateBatch([], Order, { maxRejectRate: 0 });
      expect(result.stats).toMatchObject({ total: 0, rejectRate: 0 });
    });

    it('with 0 refuses a single rejection', async () => {
      await expect(validateBatch(batch(1), Order, { maxRejectRate: 0 })).rejects.toThrow(/Rejected 1 of 100/);
    });
  });

  it('validates its options up front', async () => {
    await expect(validateBatch([], Order, { maxRejectRate: 1.5 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(validateBatch([], Order, { maxRejectRate: Number.NaN })).rejects.toThrow(/maxRejectRate/);
    await expect(validateBatch([], Order, { drift: 'ignore' as never })).rejects.toThrow(/drift/);
    await expect(validateBatch([], Order, { driftSampleEvery: 0 })).rejects.toThrow(/driftSampleEvery/);
    await expect(validateBatch([], Order, { onReject: 1 as never })).rejects.toThrow(/onReject/);
    await expect(validateBatch([], Order, { strict: 'yes' as never })).rejects.toThrow(/strict/);
    await expect(validateBatch('rows' as never, Order)).rejects.toThrow(/records/);
  });

  it('works with non-object schemas (as given, no strictness added)', async () => {
    const result = await validateBatch([1, 'a', 2], z.number());
    expect(result.valid).toEqual([1, 2]);
    expect(result.rejected[0]?.index).toBe(1);
  });
});

describe('validateBatch on hostile input', () => {
  it('rejects __proto__ and constructor keys without polluting any prototype', async () => {
    const records = [
      JSON.parse('{"id":1,"status":"new","amount":"1.00","__proto__":{"polluted":true}}'),
      JSON.parse('{"id":2,"status":"new","amount":"1.00","constructor":{"prototype":{"polluted":true}}}'),
      { id: 3, status: 'new', amount: '1.00' },
    ];
    const result = await validateBatch(records, Order, { drift: 'quarantine' });
    expect(result.valid).toHaveLength(1);
    expect(result.rejected.map((r) => r.reason)).toEqual(['unknown field __proto__', 'unknown field constructor']);
    expect(result.drift.newFields.map((f) => f.name).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('evolve keeps a __proto__ field as data, never as a prototype', async () => {
    const record = JSON.parse('{"id":1,"status":"new","amount":"1.00","__proto__":{"polluted":true}}');
    const result = await validateBatch([record], Order, { drift: 'evolve' });
    expect(result.valid).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects NaN, Infinity, invalid dates, huge strings and non-objects with bounded reasons', async () => {
    const schema = z.object({ n: z.number(), at: z.date(), s: z.string().max(100) });
    const huge = 'x'.repeat(5_000_000);
    const records: unknown[] = [
      { n: Number.NaN, at: new Date(), s: 'a' },
      { n: Number.POSITIVE_INFINITY, at: new Date(), s: 'a' },
      { n: 1, at: new Date('not a date'), s: 'a' },
      { n: 1, at: new Date(), s: huge },
      { n: 1, at: new Date(), s: 'a', [huge]: 1 },
      null,
      'a string',
      [1, 2],
      42,
      undefined,
    ];
    const result = await validateBatch(records, schema, { drift: 'quarantine' });
    expect(result.valid).toEqual([]);
    expect(result.rejected).toHaveLength(records.length);
    for (const rejection of result.rejected) {
      expect(rejection.reason.length).toBeLessThan(400);
      for (const issue of rejection.issues) expect(issue.message.length).toBeLessThan(400);
    }
    expect(JSON.stringify(result.drift).length).toBeLessThan(2000);
  });

  it('turns a throwing getter into a rejection', async () => {
    const record = {
      status: 'new',
      amount: '1',
      get id(): number {
        throw new Error('boom');
      },
    };
    const result = await validateBatch([record], Order);
    expect(result.rejected[0]).toMatchObject({ reason: expect.stringContaining('boom') });
  });
});
