import type { z } from 'zod';

interface ObjectLike {
  _zod: { def: { type: string; catchall?: unknown; shape?: Record<string, unknown> } };
  strict(): z.ZodType;
  loose(): z.ZodType;
  shape: Record<string, unknown>;
}

function isObjectSchema(schema: unknown): schema is ObjectLike {
  const def = (schema as ObjectLike | undefined)?._zod?.def;
  return def?.type === 'object' && typeof (schema as ObjectLike).strict === 'function';
}

export interface PreparedSchema {
  /** The schema to parse with (strict when asked). */
  schema: z.ZodType;
  /** A loose twin, for the `evolve` policy (keeps unknown fields). */
  loose: z.ZodType | undefined;
  /** Top-level keys, when unknown keys are NOT rejected by the schema and must be sampled instead. */
  knownKeys: ReadonlySet<string> | undefined;
}

const cache = new WeakMap<object, Map<boolean, PreparedSchema>>();

/** Makes a top-level object schema strict (or leaves it), once per schema. */
export function prepareSchema(schema: z.ZodType, strict: boolean): PreparedSchema {
  let entry = cache.get(schema);
  const hit = entry?.get(strict);
  if (hit) return hit;
  let prepared: PreparedSchema;
  if (!isObjectSchema(schema)) {
    prepared = { schema, loose: undefined, knownKeys: undefined };
  } else if (strict) {
    prepared = { schema: schema.strict(), loose: schema.loose(), knownKeys: undefined };
  } else {
    const rejectsUnknown = (schema._zod.def.catchall as ObjectLike | undefined)?._zod?.def?.type === 'never';
    prepared = {
      schema,
      loose: schema.loose(),
      knownKeys: rejectsUnknown ? undefined : new Set(Object.keys(schema.shape)),
    };
  }
  if (!entry) {
    entry = new Map();
    cache.set(schema, entry);
  }
  entry.set(strict, prepared);
  return prepared;
}
