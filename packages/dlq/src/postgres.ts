import { InvalidOptionError, migrate, type SqlClient } from '@pipewright/core';
import { captureBatch } from './internal/capture.ts';
import { pgWhere } from './internal/pg-filter.ts';
import { entryColumns, type PgNames, pgMigrations, pgNames } from './internal/pg-schema.ts';
import { PgSender } from './internal/pg-send.ts';
import { claimStatement, completeStatement, transitionStatement } from './internal/pg-statements.ts';
import { QueueBase } from './internal/queue-base.ts';
import { type ClaimBackend, type ClaimRequest, type CompleteRequest, outcomeOf } from './internal/redrive-loop.ts';
import { creationEvent, iso, type RawEntry, toEntry } from './internal/rows.ts';
import { assertName, type DeadLetterQueueOptions } from './options.ts';
import type {
  AuditEvent,
  DeadLetterEntry,
  DeadLetterFilter,
  DeadLetterInput,
  DeadLetterQueue,
  ListOptions,
  RedriveOutcome,
  SendResult,
  StatsDimension,
  StatsRow,
} from './types.ts';

export interface PostgresDeadLetterQueueOptions extends DeadLetterQueueOptions {
  /** The user's client, adapted by core's `createSqlClient`. */
  sql: SqlClient;
  /** Schema of the queue table. @default 'public' */
  schema?: string;
  /** The queue table; its audit trail lives in `<table>_audit`. @default 'dead_letters' */
  table?: string;
}

const DIMENSION_COLUMNS: Record<StatsDimension, string> = {
  pipeline: 'pipeline',
  step: 'step',
  errorCode: 'error_code',
  state: 'state',
};

class PostgresDeadLetterQueue extends QueueBase implements DeadLetterQueue, ClaimBackend {
  readonly backend = 'postgres' as const;
  readonly #sql: SqlClient;
  readonly #schema: string;
  readonly #table: string;
  readonly #names: PgNames;
  readonly #sender: PgSender;

  constructor(options: PostgresDeadLetterQueueOptions) {
    super(options);
    if (!options.sql || typeof options.sql.query !== 'function') {
      throw new InvalidOptionError('sql', 'a SqlClient from createSqlClient()', options.sql);
    }
    this.#sql = options.sql;
    this.#schema = assertName('schema', options.schema ?? 'public');
    this.#table = assertName('table', options.table ?? 'dead_letters');
    this.#names = pgNames(this.#schema, this.#table);
    this.#sender = new PgSender(this.#sql, this.#names);
  }

  async setup(): Promise<void> {
    await migrate(this.#sql, {
      schema: this.#schema,
      component: this.#names.component,
      migrations: pgMigrations(this.#table),
    });
  }

  async sendMany<T>(inputs: readonly DeadLetterInput<T>[]): Promise<SendResult[]> {
    const now = this.options.clock.now();
    const batch = captureBatch(inputs, this.captureContext(now));
    if (batch.rows.length === 0) return [];
    return this.#sender.send(batch, iso(now));
  }

  async get<T = unknown>(id: string): Promise<DeadLetterEntry<T> | undefined> {
    if (!/^\d{1,19}$/.test(String(id))) return undefined;
    const { rows } = await this.#sql.query<RawEntry>(
      `SELECT ${entryColumns(this.#names)} FROM ${this.#names.table} WHERE id = $1::bigint`,
      [id],
    );
    return rows[0] ? toEntry<T>(rows[0]) : undefined;
  }

  async history(id: string): Promise<AuditEvent[]> {
    const entry = await this.get(id);
    if (!entry) return [];
    const { rows } = await this.#sql.query<{
      at: Date;
      from_state: string | null;
      to_state: string;
      actor: string;
      why: string;
    }>(
      `SELECT at, from_state, to_state, actor, why FROM ${this.#names.audit} WHERE entry_id = $1::bigint ORDER BY id`,
      [id],
    );
    return [
      creationEvent(entry),
      ...rows.map((r) => ({
        at: new Date(r.at),
        from: r.from_state as AuditEvent['from'],
        to: r.to_state as AuditEvent['to'],
        by: r.actor,
        why: r.why,
      })),
    ];
  }

  async list<T = unknown>(options: ListOptions = {}): Promise<DeadLetterEntry<T>[]> {
    const limit = this.listLimit(options.limit);
    const conditions: string[] = [];
    const params: unknown[] = [];
    pgWhere(options, conditions, params);
    if (options.after !== undefined) {
      params.push(options.after);
      conditions.push(`id > $${params.length}::bigint`);
    }
    params.push(limit);
    const { rows } = await this.#sql.query<RawEntry>(
      `SELECT ${entryColumns(this.#names)} FROM ${this.#names.table}${whereClause(conditions)} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => toEntry<T>(row));
  }

  async count(filter: DeadLetterFilter = {}): Promise<number> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    pgWhere(filter, conditions, params);
    const { rows } = await this.#sql.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM ${this.#names.table}${whereClause(conditions)}`,
      params,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async stats(by: readonly StatsDimension[], filter: DeadLetterFilter = {}): Promise<StatsRow[]> {
    const dims = this.statsDimensions(by);
    const conditions: string[] = [];
    const params: unknown[] = [];
    pgWhere(filter, conditions, params);
    const select = dims.map((d) => `${DIMENSION_COLUMNS[d]} AS "${d}"`);
    const group = dims.map((d) => DIMENSION_COLUMNS[d]).join(', ');
    const { rows } = await this.#sql.query<Record<string, unknown>>(
      `SELECT ${[
        ...select,
        'count(*) AS entries',
        'sum(failure_count) AS failures',
        'min(first_failed_at) AS oldest',
        'max(last_failed_at) AS newest',
      ].join(', ')}
       FROM ${this.#names.table}${whereClause(conditions)}${group ? ` GROUP BY ${group} ORDER BY ${group}` : ''}`,
      params,
    );
    return rows
      .filter((row) => Number(row.entries) > 0)
      .map((row) => {
        const out: StatsRow = {
          entries: Number(row.entries),
          failures: Number(row.failures),
          oldestFailureAt: new Date(row.oldest as Date),
          newestFailureAt: new Date(row.newest as Date),
        };
        for (const d of dims) (out as unknown as Record<string, unknown>)[d] = row[d];
        return out;
      });
  }

  async claim(request: ClaimRequest): Promise<DeadLetterEntry | undefined> {
    const conditions: string[] = [];
    const params: unknown[] = [iso(request.now), iso(request.leaseUntil), request.token, request.by];
    pgWhere(request.filter, conditions, params);
    if (request.id !== undefined) {
      params.push(request.id);
      conditions.push(`id = $${params.length}::bigint`);
    }
    const { rows } = await this.#sql.query<RawEntry>(
      claimStatement(this.#names, conditions.join(' AND '), request.id !== undefined),
      params,
    );
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  async complete(request: CompleteRequest): Promise<RedriveOutcome> {
    const { rows } = await this.#sql.query<{ state: string }>(completeStatement(this.#names), [
      request.id,
      request.token,
      request.completion,
      this.options.maxRedrives,
      iso(request.now),
      request.by,
      request.why,
    ]);
    return outcomeOf(rows[0]?.state);
  }

  protected async transition(
    id: string,
    from: readonly string[],
    to: string,
    by: string,
    why: string,
    resetRedrives: boolean,
  ): Promise<boolean> {
    const { rows } = await this.#sql.query(transitionStatement(this.#names, resetRedrives), [
      id,
      from,
      to,
      iso(this.options.clock.now()),
      by,
      why,
    ]);
    return rows.length > 0;
  }

  async purge(options: Parameters<DeadLetterQueue['purge']>[0]): Promise<number> {
    const { states, cutoff } = this.purgeScope(options);
    const { rowCount } = await this.#sql.query(
      `DELETE FROM ${this.#names.table} WHERE state = ANY($1::text[]) AND updated_at < $2::timestamptz`,
      [states, iso(cutoff)],
    );
    return rowCount;
  }
}

function whereClause(conditions: readonly string[]): string {
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

/** A dead-letter queue in a PostgreSQL table (created by `setup()` through a numbered migration). */
export function createPostgresDeadLetterQueue(options: PostgresDeadLetterQueueOptions): DeadLetterQueue {
  return new PostgresDeadLetterQueue(options);
}
