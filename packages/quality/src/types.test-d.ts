import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import {
  bigintId,
  decimalString,
  isoTimestamp,
  notNull,
  pattern,
  type Rejection,
  unique,
  validateBatch,
} from './index.ts';

test('validateBatch returns the schema output type', async () => {
  const schema = z.object({ id: bigintId(), amount: decimalString(), at: isoTimestamp(), tag: z.string().optional() });
  const result = await validateBatch([], schema);
  expectTypeOf(result.valid).toEqualTypeOf<{ id: bigint; amount: string; at: Date; tag?: string | undefined }[]>();
  expectTypeOf(result.rejected).toEqualTypeOf<Rejection[]>();
});

test('factories return their precise check type', () => {
  expectTypeOf(notNull('a').type).toEqualTypeOf<'not_null'>();
  expectTypeOf(unique(['a', 'b']).columns).toEqualTypeOf<readonly string[]>();
  expectTypeOf(pattern('a', /x/).pattern).toEqualTypeOf<RegExp>();
});
