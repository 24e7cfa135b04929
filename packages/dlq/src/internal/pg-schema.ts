import { assertIdentifier, type Migration, quoteIdentifier } from '@pipewright/core';

/** Quoted names of the queue's table, its audit table and its indexes. */
export interface PgNames {
  table: string;
  audit: string;
  stacks: string;
  component: string;
  /** The unique index on the idempotency key, as a unique violation names it. */
  keyIndex: string;
}

export function pgNames(schema: string, table: string): PgNames {
  // Index names derive from the table name; assertIdentifier refuses one that would exceed 63 bytes.
  assertIdentifier(`${table}_audit_entry`);
  return {
    table: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
    audit: `${quoteIdentifier(schema)}.${quoteIdentifier(`${table}_audit`)}`,
    stacks: `${quoteIdentifier(schema)}.${quoteIdentifier(`${table}_stacks`)}`,
    component: `dlq:${table}`,
    keyIndex: `${table}_key`,
  };
}

/** The numbered migrations of one queue table (`migrate` passes the quoted schema). */
export function pgMigrations(table: string): Migration[] {
  const q = (suffix: string): string => quoteIdentifier(`${table}${suffix}`);
  return [
    {
      version: 1,
      name: 'dead letters and audit trail',
      sql: (schema) => `
        CREATE TABLE ${schema}.${q('')} (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          -- "C" collation: index comparisons are plain byte compares, whatever the database's locale.
          idempotency_key text COLLATE "C" NOT NULL,
          state text COLLATE "C" NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'replaying', 'resolved', 'discarded', 'parked')),
          pipeline text NOT NULL,
          step text NOT NULL DEFAULT '',
          run_id text,
          source json,
          record json NOT NULL,
          error_class text NOT NULL,
          error_code text,
          error_message text NOT NULL,
          stack_hash text,
          error_kind text NOT NULL,
          error_reason text NOT NULL,
          attempt integer NOT NULL,
          failure_count integer NOT NULL DEFAULT 1,
          redrive_count integer NOT NULL DEFAULT 0,
          first_failed_at timestamptz NOT NULL,
          last_failed_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          lease_until timestamptz,
          lease_token text,
          prev_state text
        );
        CREATE UNIQUE INDEX ${q('_key')} ON ${schema}.${q('')} (idempotency_key);
        CREATE INDEX ${q('_claim')} ON ${schema}.${q('')} (id) WHERE state IN ('pending', 'replaying');
        -- One index serves the review (state first) and retention (state, age); each extra index costs every send.
        CREATE INDEX ${q('_age')} ON ${schema}.${q('')} (state, updated_at);
        CREATE INDEX ${q('_run')} ON ${schema}.${q('')} (run_id) WHERE run_id IS NOT NULL;
        CREATE TABLE ${schema}.${q('_audit')} (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          entry_id bigint NOT NULL REFERENCES ${schema}.${q('')} (id) ON DELETE CASCADE,
          at timestamptz NOT NULL,
          from_state text,
          to_state text NOT NULL,
          actor text NOT NULL,
          why text NOT NULL
        );
        CREATE INDEX ${q('_audit_entry')} ON ${schema}.${q('_audit')} (entry_id, id);
        CREATE TABLE ${schema}.${q('_stacks')} (hash text PRIMARY KEY, stack text NOT NULL);`,
    },
    {
      version: 2,
      name: 'partial state indexes a send appends to at the right edge, block-range indexes for age and run',
      // Every send pays for every b-tree it touches (an entry per row, in WAL too). New entries are pending with
      // ascending ids, so they only touch the pending index at its right edge (the b-tree's cached-rightmost-leaf
      // fast path); the replaying and final-state indexes change only on redrive transitions. Claims scan the
      // pending and replaying ones in id order; lists and the review by state use whichever matches. The age and
      // run filters only need to skip most of the table, which BRIN does for almost nothing per insert.
      sql: (schema) => `
        DROP INDEX ${schema}.${q('_claim')}, ${schema}.${q('_age')}, ${schema}.${q('_run')};
        CREATE INDEX ${q('_pending')} ON ${schema}.${q('')} (id) WHERE state = 'pending';
        CREATE INDEX ${q('_replaying')} ON ${schema}.${q('')} (id) WHERE state = 'replaying';
        CREATE INDEX ${q('_state')} ON ${schema}.${q('')} (state, id) WHERE state NOT IN ('pending', 'replaying');
        CREATE INDEX ${q('_age')} ON ${schema}.${q('')} USING brin (updated_at) WITH (autosummarize = on);
        CREATE INDEX ${q('_run')} ON ${schema}.${q('')} USING brin (run_id text_bloom_ops)
          WITH (autosummarize = on);`,
    },
  ];
}

/** Columns every read selects, cast so that pg and PGlite return the same shapes. */
export function entryColumns(n: PgNames): string {
  return `id::text AS id, state, idempotency_key, pipeline, step, run_id, source::text AS source,
  record::text AS record, error_class, error_code, error_message,
  (SELECT st.stack FROM ${n.stacks} AS st WHERE st.hash = stack_hash) AS error_stack, error_kind, error_reason,
  attempt, failure_count, redrive_count, first_failed_at, last_failed_at, updated_at`;
}
