// Generators of hostile records (fast-check, seeded): every field of a valid order may be kept, dropped, or
// replaced by a wrong type, a huge string, NUL bytes, lone surrogates, NaN/±Infinity, out-of-range dates and
// numbers, deep nesting; unknown keys include __proto__, constructor and prototype (as own properties, the way
// JSON.parse makes them).
import fc from 'fast-check';

const DEEP = 5000;
function deep(kind: 'array' | 'object'): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < DEEP; i++) v = kind === 'array' ? [v] : { d: v };
  return v;
}
const deepArray = deep('array');
const deepObject = deep('object');
const huge = `${'x'.repeat(100_000)}\u0000${'y'.repeat(1000)}`;

/** Inputs that once broke a package (docs/reliability.md, "Bugs found"): kept, so each fix stays proven. */
const ONCE_BROKE: readonly unknown[] = ['\uD800', 'x\uDFFFy', '\uDBFF\uDBFF', deepArray, deepObject];

const NASTY: readonly unknown[] = [
  '\u0000',
  'a\u0000b',
  ...ONCE_BROKE,
  "'); DROP TABLE hostile_tgt; --",
  '$1',
  '\\x00',
  NaN,
  Infinity,
  -Infinity,
  -0,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  2 ** 64,
  -(2 ** 63) - 1,
  123456789012345678901234567890n,
  new Date(Number.NaN),
  new Date(8.64e15),
  '+275760-09-13T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '0000-00-00',
  '9999-99-99T99:99:99Z',
  [],
  {},
  null,
  undefined,
  true,
  () => 1,
  Symbol('s'),
  new Map([[1, 2]]),
  Buffer.from('bytes'),
];

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.constant(huge) },
  { weight: 20, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 10, arbitrary: fc.double() },
  { weight: 10, arbitrary: fc.integer() },
  { weight: 10, arbitrary: fc.bigInt() },
  { weight: 10, arbitrary: fc.date({ noInvalidDate: false }) },
  { weight: 10, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 10, arbitrary: fc.anything({ maxDepth: 2 }) },
);

/** Ids that are never a valid positive bigint, so a hostile id never collides with a valid one. */
const BAD_IDS: readonly unknown[] = [
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  '',
  'abc',
  '12abc',
  ' 7',
  '-5',
  '9223372036854775808',
  2 ** 64,
  null,
  undefined,
  {},
  [],
  true,
  '\u0000',
  '\uD800',
];

const STATUS = ['new', 'paid', 'shipped'] as const;

/** One record per bug this suite found in hostile input (docs/reliability.md): valid but for one field. */
const EXPLICIT: readonly Record<string, unknown>[] = [
  { note: 'a\uD800b' }, // valid for zod; writers used to store it as U+FFFD
  { status: 'x\uDFFFy' }, // rejected; the PostgreSQL dead-letter queue used to refuse it
  { status: deepArray }, // rejected; the dead-letter queue used to overflow the stack
];

/** A valid order's fields (id assigned later); payload is a small JSON object. */
const validFields = fc.record({
  amount: fc
    .tuple(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 99 }))
    .map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`),
  status: fc.constantFrom(...STATUS),
  placed_at: fc
    .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  note: fc.string({ unit: 'binary', maxLength: 60 }).filter((t) => t.isWellFormed()),
  payload: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
});

const mutation = fc.record({
  /** Per field: 0 keep, 1 replace with a hostile value, 2 drop. */
  plan: fc.array(fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 1, 2), { minLength: 6, maxLength: 6 }),
  values: fc.array(anyValue, { minLength: 6, maxLength: 6 }),
  badId: fc.constantFrom(...BAD_IDS),
  extra: fc.option(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'unknown_field', 'ID'),
    { freq: 6 },
  ),
  extraValue: anyValue,
  pristine: fc.boolean(),
});

const FIELDS = ['id', 'amount', 'status', 'placed_at', 'note', 'payload'] as const;

/** `count` records; `firstId + i` is the id of record i when it keeps a valid id. Deterministic for a seed. */
export function hostileRecords(count: number, seed: number, firstId: number): unknown[] {
  const samples = fc.sample(fc.tuple(validFields, mutation), { seed, numRuns: count });
  return samples.map(([valid, m], i) => {
    const record: Record<string, unknown> = { id: firstId + i, ...valid };
    // The inputs that once broke a package, once each at the start, whatever the seed draws.
    if (i < EXPLICIT.length) return { ...record, ...EXPLICIT[i] };
    if (m.pristine) return record;
    FIELDS.forEach((field, f) => {
      const plan = m.plan[f];
      if (plan === 2) delete record[field];
      else if (plan === 1) record[field] = field === 'id' ? m.badId : m.values[f];
    });
    if (m.extra !== null) {
      // An own property, as JSON.parse('{"__proto__": …}') makes it: assignment would set the prototype instead.
      Object.defineProperty(record, m.extra, {
        value: m.extra === '__proto__' ? { polluted: 'yes' } : m.extraValue,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
    return record;
  });
}
