import type { Migration } from '@pipewright/core';

/** Run audit tables (migration component `run-audit`). */
export const auditMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'pipeline runs and step runs',
    sql: (s) => `
      CREATE TABLE ${s}.pipeline_runs (
        run_id uuid PRIMARY KEY,
        pipeline text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        duration_ms bigint,
        fencing_token bigint,
        rows_in bigint NOT NULL DEFAULT 0,
        rows_out bigint NOT NULL DEFAULT 0,
        rows_rejected bigint NOT NULL DEFAULT 0,
        rows_dead_lettered bigint NOT NULL DEFAULT 0,
        failed_step text,
        error text
      );
      CREATE INDEX pipeline_runs_by_pipeline ON ${s}.pipeline_runs (pipeline, status, finished_at DESC);
      CREATE INDEX pipeline_runs_by_start ON ${s}.pipeline_runs (started_at DESC);
      CREATE TABLE ${s}.pipeline_step_runs (
        run_id uuid NOT NULL REFERENCES ${s}.pipeline_runs (run_id) ON DELETE CASCADE,
        step text NOT NULL,
        status text NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped')),
        started_at timestamptz,
        finished_at timestamptz,
        duration_ms bigint,
        attempts integer NOT NULL DEFAULT 0,
        rows_in bigint NOT NULL DEFAULT 0,
        rows_out bigint NOT NULL DEFAULT 0,
        rows_rejected bigint NOT NULL DEFAULT 0,
        rows_dead_lettered bigint NOT NULL DEFAULT 0,
        checksum text,
        error text,
        error_code text,
        skipped_because text,
        PRIMARY KEY (run_id, step)
      );`,
  },
];
