import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

const shas = new Map<string, string>();

function shaOf(script: string): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

/** EVALSHA, falling back to EVAL when the server does not know the script yet (first call, or after a restart). */
export async function runScript(
  redis: RedisClient,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(shaOf(script), keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}

/**
 * Runs several invocations of one script in MULTI/EXEC: either all run or none does. Uses EVAL (not EVALSHA)
 * because a NOSCRIPT inside EXEC would fail one command while the others still ran.
 */
export async function runScriptsAtomically(
  redis: RedisClient,
  script: string,
  keys: readonly string[],
  argLists: readonly (readonly (string | number)[])[],
): Promise<unknown[]> {
  if (argLists.length === 1) return [await runScript(redis, script, keys, argLists[0] as (string | number)[])];
  const multi = redis.multi();
  for (const args of argLists) multi.eval(script, keys.length, ...keys, ...args);
  const replies = await multi.exec();
  if (replies === null) throw new Error('Redis MULTI/EXEC was aborted: nothing was written');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
