import { qualifiedName, type SqlClient } from '@pipewright/core';
import { leaseMigrations } from '@pipewright/pipeline';
import { pgStateStore, type StateRecord } from '@pipewright/watermark';
import type { Command } from 'commander';
import { CliUsageError, EXIT } from '../errors.ts';
import { actor } from '../internal/actor.ts';
import { confirm } from '../internal/confirm.ts';
import { appliedVersion, requireMigrated } from '../internal/connect.ts';
import { act, type Ctx, examples, type Run } from '../internal/context.ts';
import { age, cut, json, table, when } from '../internal/format.ts';

const FIX = 'run pgStateStore(sql).migrate() in your application';

async function openStore(ctx: Ctx): Promise<{ sql: SqlClient; schema: string }> {
  const sql = await ctx.conn.sql();
  const schema = ctx.schema('public');
  await requireMigrated(sql, schema, 'watermark', FIX);
  return { sql, schema };
}

/** Every state key (the store has no listing; a read-only query on its table). */
async function stateKeys(sql: SqlClient, schema: string, prefix: string | undefined): Promise<string[]> {
  const { rows } = await sql.query<{ state_key: string }>(
    `SELECT state_key FROM ${qualifiedName(schema, 'pipewright_watermark_state')}
     WHERE $1::text IS NULL OR starts_with(state_key, $1) ORDER BY state_key`,
    [prefix ?? null],
  );
  return rows.map((r) => r.state_key);
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
  state
    .command('show')
    .description('committed positions per pipeline/partition (all keys, or one with its rewind history)')
    .argument('[key]', 'one state key')
    .option('--prefix <text>', 'only keys starting with this (e.g. a job name, for its partitions)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('pipewright state show', 'pipewright state show orders-sync --json'))
    .action(
      act(run, async (ctx) => {
        const { sql, schema } = await openStore(ctx);
        const store = pgStateStore(sql, { schema, clock: ctx.clock });
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
        const keys = await stateKeys(sql, schema, ctx.opts.prefix as string | undefined);
        const records: { key: string; record: StateRecord }[] = [];
        for (const k of keys) {
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

  state
    .command('rewind')
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
        const { sql, schema } = await openStore(ctx);
        const store = pgStateStore(sql, { schema, clock: ctx.clock });
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

  state
    .command('leases')
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
  const sql = await ctx.conn.sql();
  const now = ctx.clock.now();
  const rows: LeaseRow[] = [];
  const pipelineSchema = ctx.schema('pipewright');
  if ((await appliedVersion(sql, pipelineSchema, 'leases')) >= leaseMigrations.length) {
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
  const stateSchema = ctx.schema('public');
  if ((await appliedVersion(sql, stateSchema, 'watermark')) > 0) {
    const { rows: held } = await sql.query<{
      state_key: string;
      owner: string;
      token: string;
      lease_expires_at: string;
    }>(
      `SELECT state_key, owner, token::text, lease_expires_at::text FROM
       ${qualifiedName(stateSchema, 'pipewright_watermark_state')} WHERE owner IS NOT NULL ORDER BY state_key`,
    );
    for (const r of held) {
      const expiresAt = new Date(Number(r.lease_expires_at));
      rows.push({
        kind: 'state',
        name: r.state_key,
        holder: r.owner,
        token: r.token,
        expiresAt,
        expired: expiresAt.getTime() <= now,
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
