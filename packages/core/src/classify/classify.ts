import { defaultRules } from './rules.ts';
import type { Classification, ClassificationRule } from './types.ts';

const MAX_CAUSE_DEPTH = 8;

export interface ClassifierOptions {
  /** Rules tried before the built-in ones; the first that returns a classification wins. */
  rules?: readonly ClassificationRule[];
  /** Current time for HTTP-date `Retry-After` values. @default Date.now */
  now?: () => number;
}

export type Classifier = (error: unknown) => Classification;

/**
 * Builds a classifier: user rules first, then the built-in ones, applied to the error and then to each `cause`
 * in turn. An error no rule recognises is `fatal`: unknown failures fail loudly.
 */
export function createClassifier(options: ClassifierOptions = {}): Classifier {
  const rules = [...(options.rules ?? []), ...defaultRules];
  const now = options.now ?? Date.now;
  return (error) => {
    const context = { nowMs: now() };
    let current: unknown = error;
    for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
      for (const rule of rules) {
        const result = rule(current, context);
        if (result) return result;
      }
      current = (current as { cause?: unknown }).cause;
    }
    return { kind: 'fatal', reason: 'unrecognised error' };
  };
}

/** Classifies with the built-in rules only. */
export const classify: Classifier = createClassifier();
