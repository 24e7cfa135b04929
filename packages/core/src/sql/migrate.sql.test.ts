import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { MigrationError } from '../errors.ts';
import { assertServerVersion, type Migration, migrate } from './migrate.ts';

const db = useTestDatabase();

const migrations: Migration[] = [
  { version: 1, name: 'create widgets', sql: (s) => `CREATE TABLE ${s}.widgets (id int PRIMARY KEY)` },
  { version: 2, name: 'add label', sql: (s) => `ALTER TABLE ${s}.widgets ADD COLUMN label text` },
];

describe('migrate', () => {
  it('applies pending migrations once, in order', async () => {
    const first = await migrate(db.sql, { schema: db.schema, component: 'widgets', migrations });
    expect(first).toEqual({ applied: [1, 2], current: 2 });
    const again = await migrate(db.sql, { schema: db.schema, component: 'widgets', migrations });
    expect(again).toEqual({ applied: [], current: 2 });
    const { rows } = await db.sql.query<{ version: number; name: string }>(
      `SELECT version, name FROM ${db.qschema}.pipewright_migrations WHERE component = 'widgets' ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: 1, name: 'create widgets' },
      { version: 2, name: 'add label' },
    ]);
  });

  it('is safe when two processes migrate at once', async () => {
    const results = await Promise.all([
      migrate(db.sql, { schema: db.schema, component: 'race', migrations: renamed('race') }),
      migrate(db.sql, { schema: db.schema, component: 'race', migrations: renamed('race') }),
    ]);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 2]);
  });

  it('rolls back a failing migration entirely and names it', async () => {
    const broken: Migration[] = [
      { version: 1, name: 'ok', sql: (s) => `CREATE TABLE ${s}.fine (id int)` },
      { version: 2, name: 'broken', sql: () => 'SELECT * FROM does_not_exist' },
    ];
    const attempt = migrate(db.sql, { schema: db.schema, component: 'broken', migrations: broken });
    await expect(attempt).rejects.toThrow(MigrationError);
    await expect(migrate(db.sql, { schema: db.schema, component: 'broken', migrations: broken })).rejects.toThrow(
      'Migration broken #2 (broken) failed',
    );
    const { rows } = await db.sql.query(`SELECT 1 FROM ${db.qschema}.pipewright_migrations WHERE component = 'broken'`);
    expect(rows).toHaveLength(0);
  });

  it('refuses gaps in numbering and a database ahead of the package', async () => {
    await expect(
      migrate(db.sql, { schema: db.schema, component: 'gap', migrations: [{ ...migrations[0]!, version: 2 }] }),
    ).rejects.toThrow('must be numbered 1, 2, 3');
    await expect(
      migrate(db.sql, { schema: db.schema, component: 'widgets', migrations: migrations.slice(0, 1) }),
    ).rejects.toThrow('knows only 1: upgrade the package');
  });

  it('checks the server version', async () => {
    expect(await assertServerVersion(db.sql)).toBeGreaterThanOrEqual(150000);
  });
});

function renamed(prefix: string): Migration[] {
  return [
    { version: 1, name: 'one', sql: (s) => `CREATE TABLE ${s}.${prefix}_one (id int)` },
    { version: 2, name: 'two', sql: (s) => `CREATE TABLE ${s}.${prefix}_two (id int)` },
  ];
}
