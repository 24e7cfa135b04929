// Child process of the crash test (src/keyset/crash.test.ts): extracts `source` into `target` page by page and
// is killed with SIGKILL at random points by the parent. Usage: crash-child.ts <pgUrl> <schema> <tx|file> <file>
import { setTimeout as sleep } from 'node:timers/promises';
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import pg from 'pg';
import { fileStateStore, keysetPages, pgStateStore, type StateStore } from '../src/index.ts';

const [url, schema, mode, file] = process.argv.slice(2) as [string, string, 'tx' | 'file', string];
const pool = new pg.Pool({ connectionString: url, max: 2 });
const sql = createSqlClient(pool);
const q = quoteIdentifier(schema);
const state: StateStore = mode === 'tx' ? pgStateStore(sql, { schema }) : fileStateStore({ path: file });

for await (const page of keysetPages<{ id: number; version: number }>(sql, {
  source: { table: { schema, name: 'source' } },
  cursor: 'updated_at',
  key: 'id',
  state,
  stateKey: `crash-${mode}`,
  pageSize: 7,
})) {
  const ids = page.rows.map((r) => r.id);
  const versions = page.rows.map((r) => r.version);
  await sql.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO ${q}.target_${mode} (id, version) SELECT * FROM unnest($1::int[], $2::int[])
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version`,
      [ids, versions],
    );
    await tx.query(`INSERT INTO ${q}.log_${mode} (id) SELECT unnest($1::int[])`, [ids]);
    if (mode === 'tx') await page.commit(tx);
  });
  process.stdout.write('.'); // progress for the parent, which kills us after a random number of pages
  await sleep(Math.random() * 4); // a window between the write and the commit, where the parent may kill us
  if (mode === 'file') await page.commit();
}
await pool.end();
