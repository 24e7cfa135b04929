import { boundSample, fieldName, inferType, readPath } from './values.ts';

/** A field the schema does not know, seen in the source. */
export interface NewField {
  /** Dotted field name (`payload.discount_code`; arrays as `items[].sku`). */
  name: string;
  /** Inferred type of the first value seen, e.g. `string`, `integer`, `timestamp string`. */
  type: string;
  /** How many records carried it (of the records inspected; see `sampled`). */
  count: number;
  /** The first value seen, bounded (long strings cut) and JSON-safe. */
  sample: unknown;
  /** True when the count comes from the sampled key-set check (non-strict schemas). */
  sampled: boolean;
}

/** A field the schema requires that records no longer carry. */
export interface MissingField {
  name: string;
  count: number;
}

/** A field whose values no longer have the schema's type. */
export interface TypeChange {
  name: string;
  expected: string;
  /** Inferred type of the first offending value. */
  received: string;
  count: number;
  sample: unknown;
}

/** How the source's shape differs from the schema. */
export interface DriftReport {
  hasDrift: boolean;
  newFields: NewField[];
  missingFields: MissingField[];
  typeChanges: TypeChange[];
}

/** The parts of a zod issue drift needs (structural, so any zod 4 copy works). */
export interface IssueLike {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
  expected?: unknown;
}

/** Accumulates drift from the zod issues of rejected records (cheap: the valid path never calls it). */
export class DriftCollector {
  readonly #newFields = new Map<string, NewField>();
  readonly #missing = new Map<string, MissingField>();
  readonly #retyped = new Map<string, TypeChange>();

  /** Returns true when every issue is an unknown key (the record is otherwise valid). */
  addIssues(record: unknown, issues: readonly IssueLike[]): boolean {
    let onlyUnknownKeys = true;
    for (const issue of issues) {
      if (issue.code === 'unrecognized_keys' && issue.keys) {
        const parent = readPath(record, issue.path).value;
        for (const key of issue.keys) {
          const { value } = readPath(parent, [key]);
          this.addNewField(fieldName([...issue.path, key]), value, false);
        }
        continue;
      }
      onlyUnknownKeys = false;
      if (issue.code !== 'invalid_type' || issue.path.length === 0) continue;
      const { found, value } = readPath(record, issue.path);
      const name = fieldName(issue.path);
      if (!found || value === undefined) {
        const entry = this.#missing.get(name);
        if (entry) entry.count++;
        else this.#missing.set(name, { name, count: 1 });
      } else {
        const entry = this.#retyped.get(name);
        if (entry) entry.count++;
        else {
          const expected = typeof issue.expected === 'string' ? issue.expected : 'the schema type';
          this.#retyped.set(name, { name, expected, received: inferType(value), count: 1, sample: boundSample(value) });
        }
      }
    }
    return onlyUnknownKeys;
  }

  /** Sampled key-set check for schemas that do not reject unknown keys themselves. */
  checkKeys(record: unknown, known: ReadonlySet<string>): void {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return;
    for (const key of Object.keys(record)) {
      if (!known.has(key)) this.addNewField(key, (record as Record<string, unknown>)[key], true);
    }
  }

  addNewField(name: string, value: unknown, sampled: boolean): void {
    const entry = this.#newFields.get(name);
    if (entry) entry.count++;
    else this.#newFields.set(name, { name, type: inferType(value), count: 1, sample: boundSample(value), sampled });
  }

  report(): DriftReport {
    const byCount = <T extends { count: number; name: string }>(a: T, b: T): number =>
      b.count - a.count || (a.name < b.name ? -1 : 1);
    const newFields = [...this.#newFields.values()].sort(byCount);
    const missingFields = [...this.#missing.values()].sort(byCount);
    const typeChanges = [...this.#retyped.values()].sort(byCount);
    return {
      hasDrift: newFields.length + missingFields.length + typeChanges.length > 0,
      newFields,
      missingFields,
      typeChanges,
    };
  }
}
