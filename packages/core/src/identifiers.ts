import { InvalidIdentifierError } from './errors.ts';

/** PostgreSQL truncates identifiers longer than NAMEDATALEN - 1 bytes; we refuse them instead. */
export const MAX_IDENTIFIER_BYTES = 63;

// Letters (any script), digits, underscore and dollar; must not start with a digit or dollar. Anything else
// (quotes, semicolons, comment markers, whitespace, control characters) is refused rather than escaped: a
// configuration value that looks like SQL is a mistake or an attack, never a table name.
const SAFE_IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_$]*$/u;

const encoder = new TextEncoder();

/** Validates a single identifier and returns it unchanged; throws `InvalidIdentifierError` otherwise. */
export function assertIdentifier(name: unknown): string {
  if (typeof name !== 'string') throw new InvalidIdentifierError(name, 'expected a string');
  if (name.length === 0) throw new InvalidIdentifierError(name, 'must not be empty');
  if (name.includes('\0')) throw new InvalidIdentifierError(name, 'must not contain a NUL byte');
  const bytes = encoder.encode(name).length;
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new InvalidIdentifierError(name, `is ${bytes} bytes long; PostgreSQL allows at most ${MAX_IDENTIFIER_BYTES}`);
  }
  if (!SAFE_IDENTIFIER.test(name)) {
    throw new InvalidIdentifierError(
      name,
      'only letters, digits, "_" and "$" are allowed, and it must start with a letter or "_"',
    );
  }
  return name;
}

/** Validates and double-quotes one identifier (case is preserved, reserved words are safe). */
export function quoteIdentifier(name: string): string {
  return `"${assertIdentifier(name)}"`;
}

/** Validates and quotes a dotted name from its parts: `qualifiedName('etl', 'orders')` → `"etl"."orders"`. */
export function qualifiedName(...parts: readonly string[]): string {
  if (parts.length === 0 || parts.length > 3) {
    throw new InvalidIdentifierError(parts, `expected 1 to 3 name parts, got ${parts.length}`);
  }
  return parts.map(quoteIdentifier).join('.');
}

/** A table reference as users write it in options: `'orders'`, `'etl.orders'` or `{ schema, name }`. */
export type TableRef = string | { schema?: string; name: string };

/** Parses a `TableRef`, validates each part, and returns the parts plus the quoted SQL form. */
export function resolveTable(ref: TableRef): { schema: string | undefined; name: string; sql: string } {
  let schema: string | undefined;
  let name: string;
  if (typeof ref === 'string') {
    const parts = ref.split('.');
    if (parts.length > 2) throw new InvalidIdentifierError(ref, 'expected "table" or "schema.table"');
    [schema, name] = parts.length === 2 ? [parts[0], parts[1] as string] : [undefined, parts[0] as string];
  } else if (ref !== null && typeof ref === 'object') {
    ({ schema, name } = ref);
  } else {
    throw new InvalidIdentifierError(ref, 'expected a table name or { schema, name }');
  }
  const sql = schema === undefined ? quoteIdentifier(name) : qualifiedName(schema, name);
  return { schema, name, sql };
}
