import { qualifiedName, type SqlClient } from '@pipewright/core';
import { pgStateStore, redisStateStore, type StateRecord, type StateStore } from '@pipewright/watermark';
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { CliUsageError, EXIT } from '../errors.ts';
import { actor } from '../internal/actor.ts';
import { confirm } from '../internal/confirm.ts';
import { appliedVersion, requireMigrated } from '../internal/connect.ts';
import { act, type Ctx, examples, type Run } from '../internal/context.ts';
import { age, cut, json, table, when } from '../internal/format.ts';

const FIX = 'run pgStateStore(sql).migrate() in your application';

/** A state store plus a way to list its keys (the StateStore interface has no listing). */
interface StateSource {
  store: StateStore;
  keys(prefix: string | undefined): Promise<string[]>;
}

/** Options that say where the state lives; every `state` subcommand takes them. */
function storeOptions(command: Command): Command {
  return command
    .option('--backend <backend>', 'where the state lives: postgres or redis', 'postgres')
    .option('--state-prefix <prefix>', 'Redis key prefix of the state store', 'pipewright:watermark:');
}

async function openState(ctx: Ctx): Promise<StateSource> {
  if (ctx.opts.backend === 'redis') {
    const redis = await ctx.conn.redis();
    const prefix = String(ctx.opts.statePrefix);
    return {
      store: redisStateStore(redis, { prefix, clock: ctx.clock }),
      keys: (only) => redisKeys(redis, prefix, only),
    };
  }
  if (ctx.opts.backend !== 'postgres' && ctx.opts.backend !== undefined) {
    throw new CliUsageError(`Expected --backend to be postgres or redis, got "${String(ctx.opts.backend)}"`);
  }
  const sql = await ctx.conn.sql();
  const schema = ctx.schema('public');
  await requireMigrated(sql, schema, 'watermark', FIX);
  return { store: pgStateStore(sql, { schema, clock: ctx.clock }), keys: (only) => pgKeys(sql, schema, only) };
}

/** Every state key in PostgreSQL (a read-only query on the store's table). */
async function pgKeys(sql: SqlClient, schema: string, prefix: string | undefined): Promise<string[]> {
  const { rows } = await sql.query<{ state_key: string }>(
    `SELECT state_key FROM ${qualifiedName(schema, 'pipewright_watermark_state')}
     WHERE $1::text IS NULL OR starts_with(state_key, $1) ORDER BY state_key`,
    [prefix ?? null],
  );
  return rows.map((r) => r.state_key);
}

/** Every state key in Redis: the store keeps `<prefix>{<key>}` hashes (SCAN, never KEYS). */
async function redisKeys(redis: Redis, prefix: string, only: string | undefined): Promise<string[]> {
  const glob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${glob(prefix)}{${glob(only ?? '')}*}`, 'COUNT', 500);
    cursor = next;
    for (const k of found) keys.add(k.slice(prefix.length + 1, -1));
  } while (cursor !== '0');
  return [...keys].sort();
}

function leaseText(ctx: Ctx, record: StateRecord): string {
  if (record.owner === undefined || record.leaseExpiresAt === undefined) return '-';
  const left = record.leaseExpiresAt - ctx.clock.now();
  return left > 0
    ? `${record.owner} (${age(left)} left)`
    : ctx.paint('yellow', `${record.owner} (expired ${age(-left)} ago)`);
}

const position = (record: StateRecord): string =>
  record.position === undefined ? '(none)' : cut(JSON.stringify(record.position), 60);

function parsePosition(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a bare string such as an LSN or a date
  }
}

export function registerState(state: Command, run: Run): void {
  storeOptions(state.command('show'))
    .description('committed positions per pipeline/partition (all keys, or one with its rewind history)')
    .argument('[key]', 'one state key')
    .option('--prefix <text>', 'only keys starting with this (e.g. a job name, for its partitions)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('pipewright state show', 'pipewright state show orders-sync --json'))
    .action(
      act(run, async (ctx) => {
        const { store, keys } = await openState(ctx);
        const key = ctx.args[0] as string | undefined;
        if (key !== undefined) {
          const record = await store.get(key);
          if (!record) {
            ctx.note(`No state for key "${key}".`);
            return EXIT.failure;
          }
          const audit = await store.audit(key);
          if (ctx.json) ctx.out(json({ key, ...record, audit }).trimEnd());
          else {
            ctx.out(
              table(
                ['KEY', 'POSITION', 'TOKEN', 'LEASE', 'UPDATED'],
                [[key, position(record), String(record.token), leaseText(ctx, record), when(record.updatedAt)]],
                ctx.paint,
              ),
            );
            if (audit.length > 0) {
              ctx.out(`\n${ctx.paint('bold', 'rewinds')}`);
              ctx.out(
                table(
                  ['AT', 'BY', 'FROM', 'TO', 'REASON'],
                  audit.map((a) => [
                    when(a.at),
                    a.actor,
                    cut(JSON.stringify(a.before ?? null), 40),
                    cut(JSON.stringify(a.after ?? null), 40),
                    a.reason,
                  ]),
                  ctx.paint,
                ),
              );
            }
          }
          return EXIT.ok;
        }
        const records: { key: string; record: StateRecord }[] = [];
        for (const k of await keys(ctx.opts.prefix as string | undefined)) {
          const record = await store.get(k);
          if (record) records.push({ key: k, record });
        }
        if (ctx.json) ctx.out(json(records.map((r) => ({ key: r.key, ...r.record }))).trimEnd());
        else if (records.length === 0) ctx.out('No state recorded yet.');
        else {
          ctx.out(
            table(
              ['KEY', 'POSITION', 'TOKEN', 'LEASE', 'UPDATED'],
              records.map(({ key: k, record }) => [
                k,
                position(record),
                String(record.token),
                leaseText(ctx, record),
                when(record.updatedAt),
              ]),
              ctx.paint,
            ),
          );
        }
        return EXIT.ok;
      }),
    );

  storeOptions(state.command('rewind'))
    .description('set a committed position back (audited, with your reason); the next run re-reads from there')
    .argument('<key>', 'state key')
    .option('--to <position>', 'the new position as JSON (a bare string is taken as a string)')
    .option('--clear', 'forget the position: the next run starts from the beginning')
    .requiredOption('--reason <why>', 'why, for the audit trail')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        `pipewright state rewind orders-sync --to '{"cursor":"2026-11-20T00:00:00Z","key":0}' --reason "re-load after fix #123"`,
        'pipewright state rewind orders-sync --clear --reason "full reload" --yes',
      ),
    )
    .action(
      act(run, async (ctx) => {
        const key = String(ctx.args[0]);
        const to = ctx.opts.to as string | undefined;
        if ((to === undefined) === (ctx.opts.clear !== true)) {
          throw new CliUsageError('Give exactly one of --to <position> or --clear');
        }
        const target = to === undefined ? undefined : parsePosition(to);
        const { store } = await openState(ctx);
        const before = await store.get(key);
        if (!before) {
          ctx.note(`No state for key "${key}" (check the key with: pipewright state show).`);
          return EXIT.failure;
        }
        const question = `Rewind "${key}" from ${position(before)} to ${target === undefined ? '(none)' : JSON.stringify(target)}?`;
        if (!(await confirm(ctx.io, question, ctx.opts.yes === true))) {
          ctx.note('Aborted; nothing was changed.');
          return EXIT.failure;
        }
        await store.rewind(key, target, { actor: actor(), reason: String(ctx.opts.reason) });
        const last = (await store.audit(key)).at(-1);
        if (ctx.json) ctx.out(json({ key, before: before.position, after: target, audit: last }).trimEnd());
        else {
          ctx.out(
            `Rewound "${key}"; the lease token is now ${(await store.get(key))?.token} (older runners are fenced).`,
          );
        }
        return EXIT.ok;
      }),
    );

  storeOptions(state.command('leases'))
    .description('who holds which lease: pipeline locks and watermark state leases, with expiry')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('pipewright state leases', 'pipewright state leases --json'))
    .action(act(run, leases));
}

interface LeaseRow {
  kind: 'pipeline' | 'state';
  name: string;
  holder: string;
  token: string;
  expiresAt: Date;
  expired: boolean;
}

/** Leases from both tables (neither package lists them; read-only queries on their tables). */
export async function readLeases(ctx: Ctx): Promise<LeaseRow[]> {
  // Pipeline locks live in PostgreSQL only; with Redis state and no PostgreSQL URL they are left out.
  const redisState = ctx.opts.backend === 'redis';
  const sql = redisState && !ctx.conn.settings.pgUrl ? undefined : await ctx.conn.sql();
  const now = ctx.clock.now();
  const rows: LeaseRow[] = [];
  const pipelineSchema = ctx.schema('pipewright');
  const { leaseMigrations } = await import('@pipewright/pipeline'); // heavy: loaded only here
  if (sql && (await appliedVersion(sql, pipelineSchema, 'leases')) >= leaseMigrations.length) {
    const { rows: held } = await sql.query<{ name: string; holder: string; token: string; expires_at: Date }>(
      `SELECT name, holder, token::text, expires_at FROM ${qualifiedName(pipelineSchema, 'pipewright_leases')}
       ORDER BY name`,
    );
    for (const r of held) {
      const expiresAt = new Date(r.expires_at);
      rows.push({
        kind: 'pipeline',
        name: r.name,
        holder: r.holder,
        token: r.token,
        expiresAt,
        expired: expiresAt.getTime() <= now,
      });
    }
  }
  if (redisState || (sql && (await appliedVersion(sql, ctx.schema('public'), 'watermark')) > 0)) {
    const { store, keys } = await openState(ctx);
    for (const key of await keys(undefined)) {
      const record = await store.get(key);
      if (record?.owner === undefined || record.leaseExpiresAt === undefined) continue;
      const expiresAt = new Date(record.leaseExpiresAt);
      rows.push({
        kind: 'state',
        name: key,
        holder: record.owner,
        token: String(record.token),
        expiresAt,
        expired: record.leaseExpiresAt <= now,
      });
    }
  }
  return rows;
}

async function leases(ctx: Ctx): Promise<number> {
  const rows = await readLeases(ctx);
  if (ctx.json) {
    ctx.out(json(rows).trimEnd());
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.out('No leases.');
    return EXIT.ok;
  }
  const now = ctx.clock.now();
  ctx.out(
    table(
      ['KIND', 'NAME', 'HOLDER', 'TOKEN', 'EXPIRES', 'STATUS'],
      rows.map((r) => [
        r.kind,
        r.name,
        r.holder,
        r.token,
        when(r.expiresAt),
        r.expired
          ? ctx.paint('dim', `free (expired ${age(now - r.expiresAt.getTime())} ago)`)
          : ctx.paint('green', `held (${age(r.expiresAt.getTime() - now)} left)`),
      ]),
      ctx.paint,
    ),
  );
  return EXIT.ok;
}
