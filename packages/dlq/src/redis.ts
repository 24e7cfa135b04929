import { InvalidOptionError } from '@pipewright/core';
import { DeadLetterWriteInterruptedError } from './errors.ts';
import { dedupeStacks } from './internal/batch-encoding.ts';
import { type CapturedRow, captureBatch } from './internal/capture.ts';
import { statesOf } from './internal/pg-filter.ts';
import { QueueBase } from './internal/queue-base.ts';
import { fromHash, RowEncoder, stackHashOf, storedEntry } from './internal/redis-entry.ts';
import { type RedisClient, runScript, runScriptsAtomically } from './internal/redis-exec.ts';
import { compareIds, matchesFilter, statsOf } from './internal/redis-query.ts';
import {
  CLAIM_SCRIPT,
  COMPLETE_SCRIPT,
  PURGE_SCRIPT,
  SEND_SCRIPT,
  TRANSITION_SCRIPT,
} from './internal/redis-scripts.ts';
import { type ClaimBackend, type ClaimRequest, type CompleteRequest, outcomeOf } from './internal/redrive-loop.ts';
import { creationEvent } from './internal/rows.ts';
import { assertName, type DeadLetterQueueOptions } from './options.ts';
import type {
  AuditEvent,
  DeadLetterEntry,
  DeadLetterFilter,
  DeadLetterInput,
  DeadLetterQueue,
  DeadLetterState,
  ListOptions,
  PurgeOptions,
  RedriveOutcome,
  SendResult,
  StatsDimension,
  StatsRow,
} from './types.ts';

export interface RedisDeadLetterQueueOptions extends DeadLetterQueueOptions {
  /** The user's ioredis client (standalone `Redis` or `Cluster`). Needs AOF persistence to survive a restart. */
  redis: RedisClient;
  /** The queue's name; it becomes the Redis Cluster hash tag `{name}`, so all its keys share one slot. @default 'dead-letters' */
  name?: string;
  /** Prefix before the hash tag. @default 'pw:dlq:' */
  prefix?: string;
  /** Entries sent per Lua call; a larger `sendMany` runs its chunks in one MULTI/EXEC. @default 1000 */
  chunkSize?: number;
  /** Most stream messages a claim inspects before giving up (bounds filtered redrives). @default 10000 */
  maxClaimScan?: number;
}

const GROUP = 'pw';
const CONSUMER = 'pw';
const ID_PATTERN = /^\d{1,20}-\d{1,20}$/;
const PAGE = 500;

class RedisDeadLetterQueue extends QueueBase implements DeadLetterQueue, ClaimBackend {
  readonly backend = 'redis' as const;
  readonly #redis: RedisClient;
  readonly #base: string;
  readonly #keys: string;
  readonly #stream: string;
  readonly #chunkSize: number;
  readonly #maxScan: number;

  constructor(options: RedisDeadLetterQueueOptions) {
    super(options);
    if (!options.redis || typeof (options.redis as { evalsha?: unknown }).evalsha !== 'function') {
      throw new InvalidOptionError('redis', 'an ioredis Redis or Cluster instance', options.redis);
    }
    const name = assertName('name', options.name ?? 'dead-letters');
    if (/[{}]/.test(name)) throw new InvalidOptionError('name', 'a name without { or }', name);
    const prefix = options.prefix ?? 'pw:dlq:';
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new InvalidOptionError('prefix', 'a string without { or }', prefix);
    }
    this.#chunkSize = positiveInt('chunkSize', options.chunkSize, 1000);
    this.#maxScan = positiveInt('maxClaimScan', options.maxClaimScan, 10_000);
    this.#redis = options.redis;
    this.#base = `${prefix}{${name}}:`;
    this.#keys = `${this.#base}keys`;
    this.#stream = `${this.#base}s`;
  }

  async setup(): Promise<void> {
    try {
      await this.#redis.xgroup('CREATE', this.#stream, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('BUSYGROUP')) throw error;
    }
  }

  async sendMany<T>(inputs: readonly DeadLetterInput<T>[]): Promise<SendResult[]> {
    const now = this.options.clock.now();
    const { rows, slots } = captureBatch(inputs, this.captureContext(now));
    if (rows.length === 0) return [];
    const argLists: string[][] = [];
    const encoder = new RowEncoder(now);
    for (let start = 0; start < rows.length; start += this.#chunkSize) {
      const chunk = rows.slice(start, start + this.#chunkSize);
      const { hashes, stacks, rowHash } = dedupeStacks(chunk);
      const args: string[] = [this.#base, String(stacks.length)];
      for (let j = 0; j < stacks.length; j++) args.push(hashes[j] as string, stacks[j] as string);
      for (let i = 0; i < chunk.length; i++) encoder.push(args, chunk[i] as CapturedRow, rowHash[i] ?? '');
      argLists.push(args);
    }
    let replies: unknown[];
    try {
      replies = await runScriptsAtomically(this.#redis, SEND_SCRIPT, [this.#keys, this.#stream], argLists);
    } catch (error) {
      // ioredis reports a closed connection as an `AbortError`, which would read as a deliberate cancellation.
      if ((error as Error)?.name === 'AbortError' && /connection/i.test((error as Error).message)) {
        throw new DeadLetterWriteInterruptedError(inputs.length, error);
      }
      throw error;
    }
    // Each chunk answers `<id>+` (created) or `<id>=` (updated) per row, comma-separated.
    const results = replies.flatMap((reply) => String(reply).split(','));
    const seen = new Set<number>();
    return slots.map((slot) => {
      const result = results[slot] as string;
      const created = result.endsWith('+') && !seen.has(slot);
      seen.add(slot);
      return { id: result.slice(0, -1), created };
    });
  }

  async get<T = unknown>(id: string): Promise<DeadLetterEntry<T> | undefined> {
    if (!ID_PATTERN.test(String(id))) return undefined;
    const [stored] = await this.#load([id]);
    if (!stored) return undefined;
    return fromHash<T>(id, stored, await this.#stacks([stored]));
  }

  async history(id: string): Promise<AuditEvent[]> {
    const entry = await this.get(id);
    if (!entry) return [];
    const events = await this.#redis.lrange(`${this.#base}h:${id}`, 0, -1);
    return [
      creationEvent(entry),
      ...events.map((text) => {
        const [at, from, to, by, why] = JSON.parse(text) as [string, string, string, string, string];
        return { at: new Date(Number(at)), from: from as DeadLetterState, to: to as DeadLetterState, by, why };
      }),
    ];
  }

  /**
   * The stored fields of entries (creation message overlaid with the hash); undefined when gone. One MULTI, so a
   * message and a hash are never read on either side of a change (a purge in between would look like a new entry).
   */
  async #load(ids: readonly string[]): Promise<(Record<string, string> | undefined)[]> {
    const multi = this.#redis.multi();
    for (const id of ids) multi.xrange(this.#stream, id, id).hgetall(`${this.#base}e:${id}`);
    const replies = (await multi.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    return ids.map((id, i) =>
      storedEntry(
        id,
        replies[2 * i]?.[1] as [string, string[]][] | undefined,
        replies[2 * i + 1]?.[1] as Record<string, string> | undefined,
      ),
    );
  }

  /** Every entry, page by page (HSCAN over the idempotency map, then the entries pipelined). */
  async *#scan(): AsyncGenerator<DeadLetterEntry[]> {
    let cursor = '0';
    const seen = new Set<string>();
    do {
      const [next, flat] = await this.#redis.hscan(this.#keys, cursor, 'COUNT', PAGE);
      cursor = next;
      const ids: string[] = [];
      for (let i = 1; i < flat.length; i += 2) {
        const id = flat[i] as string;
        if (!seen.has(id)) {
          seen.add(id);
          ids.push(id);
        }
      }
      if (ids.length === 0) continue;
      const stored = await this.#load(ids);
      const found = stored.filter((s): s is Record<string, string> => s !== undefined);
      const stacks = await this.#stacks(found);
      const page: DeadLetterEntry[] = [];
      stored.forEach((s, index) => {
        if (s) page.push(fromHash(ids[index] as string, s, stacks));
      });
      yield page;
    } while (cursor !== '0');
  }

  /** The stack texts of a page of entries, one HMGET for the distinct hashes. */
  async #stacks(entries: readonly Record<string, string>[]): Promise<Map<string, string>> {
    const wanted = [...new Set(entries.map((e) => stackHashOf(e.data)).filter((h): h is string => Boolean(h)))];
    const found = new Map<string, string>();
    if (wanted.length === 0) return found;
    const texts = await this.#redis.hmget(`${this.#base}stacks`, ...wanted);
    wanted.forEach((hash, i) => {
      const text = texts[i];
      if (text) found.set(hash, text);
    });
    return found;
  }

  async list<T = unknown>(options: ListOptions = {}): Promise<DeadLetterEntry<T>[]> {
    const limit = this.listLimit(options.limit);
    const states = statesOf(options.state);
    const out: DeadLetterEntry[] = [];
    for await (const page of this.#scan()) {
      for (const entry of page) {
        if (!matchesFilter(entry, options, states)) continue;
        if (options.after !== undefined && compareIds(entry.id, options.after) <= 0) continue;
        out.push(entry);
      }
    }
    return out.sort((a, b) => compareIds(a.id, b.id)).slice(0, limit) as DeadLetterEntry<T>[];
  }

  async count(filter: DeadLetterFilter = {}): Promise<number> {
    const states = statesOf(filter.state);
    let n = 0;
    for await (const page of this.#scan()) for (const entry of page) if (matchesFilter(entry, filter, states)) n++;
    return n;
  }

  async stats(by: readonly StatsDimension[], filter: DeadLetterFilter = {}): Promise<StatsRow[]> {
    const dims = this.statsDimensions(by);
    const states = statesOf(filter.state);
    const entries: DeadLetterEntry[] = [];
    for await (const page of this.#scan()) for (const e of page) if (matchesFilter(e, filter, states)) entries.push(e);
    return statsOf(entries, dims);
  }

  async claim(request: ClaimRequest): Promise<DeadLetterEntry | undefined> {
    if (request.id !== undefined && !ID_PATTERN.test(request.id)) return undefined;
    const f = request.filter;
    const filter = JSON.stringify({
      pipeline: f.pipeline,
      step: f.step,
      errorCode: f.errorCode,
      runId: f.runId,
      failedBefore: f.failedBefore?.getTime(),
      failedAfter: f.failedAfter?.getTime(),
    });
    const args = [this.#base, GROUP, CONSUMER, request.now, request.leaseUntil, request.token, request.by, filter];
    args.push(request.id ?? '', this.#maxScan);
    let id: unknown;
    try {
      id = await runScript(this.#redis, CLAIM_SCRIPT, [this.#stream], args);
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOGROUP')) throw error;
      await this.setup(); // the stream or group vanished (e.g. Redis restarted without AOF): recreate and retry
      id = await runScript(this.#redis, CLAIM_SCRIPT, [this.#stream], args);
    }
    return typeof id === 'string' ? this.get(id) : undefined;
  }

  async complete(request: CompleteRequest): Promise<RedriveOutcome> {
    const state = await runScript(
      this.#redis,
      COMPLETE_SCRIPT,
      [this.#stream],
      [
        this.#base,
        GROUP,
        request.id,
        request.token,
        request.completion,
        this.options.maxRedrives,
        request.now,
        request.by,
        request.why,
      ],
    );
    return outcomeOf(String(state));
  }

  protected async transition(
    id: string,
    from: readonly DeadLetterState[],
    to: DeadLetterState,
    by: string,
    why: string,
    resetRedrives: boolean,
  ): Promise<boolean> {
    if (!ID_PATTERN.test(id)) return false;
    const args = [this.#base, GROUP, id, from.join(','), to, this.options.clock.now(), by, why];
    args.push(resetRedrives ? '1' : '0');
    return Number(await runScript(this.#redis, TRANSITION_SCRIPT, [this.#stream], args)) === 1;
  }

  async purge(options: PurgeOptions): Promise<number> {
    const { states, cutoff } = this.purgeScope(options);
    let deleted = 0;
    const candidates: string[] = [];
    for await (const page of this.#scan()) {
      for (const e of page) if (states.includes(e.state) && e.updatedAt.getTime() < cutoff) candidates.push(e.id);
    }
    for (let i = 0; i < candidates.length; i += PAGE) {
      const args = [this.#base, GROUP, cutoff, states.join(','), ...candidates.slice(i, i + PAGE)];
      deleted += Number(await runScript(this.#redis, PURGE_SCRIPT, [this.#keys, this.#stream], args));
    }
    return deleted;
  }
}

function positiveInt(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(option, 'a positive integer', value);
  return value;
}

/**
 * A dead-letter queue in Redis: entries in hashes, work in a stream with a consumer group, every change in
 * one Lua script. Redis must run with AOF (`appendonly yes`) for entries to survive a restart.
 */
export function createRedisDeadLetterQueue(options: RedisDeadLetterQueueOptions): DeadLetterQueue {
  return new RedisDeadLetterQueue(options);
}
