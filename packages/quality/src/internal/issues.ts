import type { IssueLike } from './drift.ts';

/** A zod issue as kept on a rejection. */
export interface RejectionIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

const MAX_MESSAGE = 300;

function cut(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/** Copies the issue fields users need (path, code, message), bounded, with symbols made printable. */
export function toRejectionIssues(issues: readonly IssueLike[]): RejectionIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    code: issue.code,
    message: cut(issue.message),
  }));
}

/** One line saying why a record was rejected: the first issue, and how many more. */
export function shortReason(issues: readonly IssueLike[]): string {
  const first = issues[0];
  if (!first) return 'rejected by the schema';
  const where = first.path.length === 0 ? '' : `${first.path.map(String).join('.')}: `;
  const what =
    first.code === 'unrecognized_keys' && first.keys
      ? `unknown field${first.keys.length > 1 ? 's' : ''} ${first.keys.join(', ')}`
      : first.message;
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return cut(`${where}${what}`) + more;
}
