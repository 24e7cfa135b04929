import { describe, expect, it } from 'vitest';
import { InvalidIdentifierError } from './errors.ts';
import { assertIdentifier, qualifiedName, quoteIdentifier, resolveTable } from './identifiers.ts';

describe('identifiers', () => {
  it.each([
    ['orders', '"orders"'],
    ['Orders', '"Orders"'],
    ['_private', '"_private"'],
    ['select', '"select"'],
    ['amount$usd', '"amount$usd"'],
    ['données', '"données"'],
    ['a'.repeat(63), `"${'a'.repeat(63)}"`],
  ])('quotes %s as %s', (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  it.each([
    ['id"; drop table x;--', 'only letters'],
    ['', 'must not be empty'],
    ['a\0b', 'NUL byte'],
    ['a'.repeat(64), 'is 64 bytes long'],
    ['é'.repeat(32), 'is 64 bytes long'],
    ['1abc', 'must start with'],
    ['$abc', 'must start with'],
    ['has space', 'only letters'],
    ['semi;colon', 'only letters'],
    ['comment--', 'only letters'],
    ['block/*', 'only letters'],
    ["quote'", 'only letters'],
    ['new\nline', 'only letters'],
    ['dot.ted', 'only letters'],
  ])('refuses %j', (name, reason) => {
    expect(() => quoteIdentifier(name)).toThrow(InvalidIdentifierError);
    expect(() => quoteIdentifier(name)).toThrow(reason);
  });

  it('refuses non-strings', () => {
    expect(() => assertIdentifier(42)).toThrow('Invalid SQL identifier 42: expected a string');
    expect(() => assertIdentifier(undefined)).toThrow(InvalidIdentifierError);
  });

  it('builds qualified names', () => {
    expect(qualifiedName('etl', 'orders')).toBe('"etl"."orders"');
    expect(qualifiedName('db', 'etl', 'orders')).toBe('"db"."etl"."orders"');
    expect(() => qualifiedName()).toThrow('expected 1 to 3 name parts, got 0');
    expect(() => qualifiedName('etl', 'or ders')).toThrow(InvalidIdentifierError);
  });

  it('resolves table references', () => {
    expect(resolveTable('orders')).toEqual({ schema: undefined, name: 'orders', sql: '"orders"' });
    expect(resolveTable('etl.orders')).toEqual({ schema: 'etl', name: 'orders', sql: '"etl"."orders"' });
    expect(resolveTable({ schema: 'etl', name: 'orders' }).sql).toBe('"etl"."orders"');
    expect(resolveTable({ name: 'orders' }).sql).toBe('"orders"');
    expect(() => resolveTable('a.b.c')).toThrow('expected "table" or "schema.table"');
    expect(() => resolveTable(null as never)).toThrow(InvalidIdentifierError);
    expect(() => resolveTable('etl.x;y')).toThrow(InvalidIdentifierError);
  });
});
