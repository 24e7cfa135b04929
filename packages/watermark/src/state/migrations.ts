import type { Migration } from '@pipewright/core';

/** Numbered schema changes of the PostgreSQL state store (applied by core's `migrate`). */
export const stateMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'state and audit tables',
    sql: (schema) => `
      CREATE TABLE ${schema}.pipewright_watermark_state (
        state_key text PRIMARY KEY,
        position jsonb,
        token bigint NOT NULL DEFAULT 0,
        owner text,
        lease_expires_at bigint,
        updated_at bigint NOT NULL
      );
      CREATE TABLE ${schema}.pipewright_watermark_audit (
        id bigserial PRIMARY KEY,
        state_key text NOT NULL,
        action text NOT NULL,
        before jsonb,
        after jsonb,
        actor text NOT NULL,
        reason text NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX ON ${schema}.pipewright_watermark_audit (state_key, id);`,
  },
  {
    version: 2,
    name: 'partitions',
    sql: (schema) => `
      CREATE TABLE ${schema}.pipewright_watermark_partitions (
        job text NOT NULL,
        partition_id integer NOT NULL,
        start_at text NOT NULL,
        end_at text NOT NULL,
        done boolean NOT NULL DEFAULT false,
        PRIMARY KEY (job, partition_id)
      );`,
  },
  {
    version: 3,
    name: 'snapshot signatures',
    sql: (schema) => `
      CREATE TABLE ${schema}.pipewright_watermark_signatures (
        job text NOT NULL,
        row_key text NOT NULL,
        signature text NOT NULL,
        PRIMARY KEY (job, row_key)
      );`,
  },
];
