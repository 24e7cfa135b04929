import type { Migration } from '@pipewright/core';

/** Numbered migrations of the batch journal table. */
export const journalMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'create pipewright_write_batches',
    sql: (schema) => `
      CREATE TABLE ${schema}.pipewright_write_batches (
        batch_id text PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('STARTED', 'STAGED', 'COMPLETED', 'FAILED')),
        target jsonb NOT NULL,
        options jsonb NOT NULL,
        stage_table text,
        staged_rows bigint,
        result jsonb,
        error text,
        attempts integer NOT NULL DEFAULT 1,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX ON ${schema}.pipewright_write_batches (state) WHERE state IN ('STARTED', 'STAGED');`,
  },
];
