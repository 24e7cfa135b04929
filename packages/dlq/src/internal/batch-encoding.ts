import { createHash } from 'node:crypto';
import type { CapturedRow } from './capture.ts';

/**
 * Stack traces are the largest part of a captured error and nearly always repeat (same throw site), so they are
 * stored once, content-addressed, and entries keep only the hash. A batch carries each distinct stack once.
 */
export function dedupeStacks(rows: readonly CapturedRow[]): {
  hashes: string[];
  stacks: string[];
  rowHash: (string | null)[];
} {
  const hashes: string[] = [];
  const stacks: string[] = [];
  const seen = new Map<string, string>();
  const rowHash = new Array<string | null>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const stack = (rows[i] as CapturedRow).errorStack;
    if (stack === null) {
      rowHash[i] = null;
      continue;
    }
    let hash = seen.get(stack);
    if (hash === undefined) {
      hash = createHash('sha256').update(stack).digest('base64url').slice(0, 27);
      seen.set(stack, hash);
      hashes.push(hash);
      stacks.push(stack);
    }
    rowHash[i] = hash;
  }
  return { hashes, stacks, rowHash };
}
