import { createHash } from 'node:crypto';
import { type CapturedRow, FRAMES_ONLY } from './capture.ts';

/**
 * Stack traces are the largest part of a captured error and nearly always repeat (same throw site), so they are
 * stored once, content-addressed, and entries keep only the hash. A batch carries each distinct stack once. The
 * stored text of a stack whose header was cut is `FRAMES_ONLY` + its frames; it is built once per distinct stack.
 */
export function dedupeStacks(rows: readonly CapturedRow[]): {
  hashes: string[];
  stacks: string[];
  rowHash: (string | null)[];
} {
  const hashes: string[] = [];
  const stacks: string[] = [];
  const seenWhole = new Map<string, string>();
  const seenFrames = new Map<string, string>();
  const rowHash = new Array<string | null>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const { errorStack, stackHeaderCut } = rows[i] as CapturedRow;
    if (errorStack === null) {
      rowHash[i] = null;
      continue;
    }
    const seen = stackHeaderCut ? seenFrames : seenWhole;
    let hash = seen.get(errorStack);
    if (hash === undefined) {
      const stored = stackHeaderCut ? FRAMES_ONLY + errorStack : errorStack;
      hash = createHash('sha256').update(stored).digest('base64url').slice(0, 27);
      seen.set(errorStack, hash);
      hashes.push(hash);
      stacks.push(stored);
    }
    rowHash[i] = hash;
  }
  return { hashes, stacks, rowHash };
}
