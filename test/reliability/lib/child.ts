import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT: string = join(import.meta.dirname, '..', '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
// Node's compile cache makes the second and later starts of a job script several times faster.
const COMPILE_CACHE = join(tmpdir(), 'pw-reliability-compile-cache');
mkdirSync(COMPILE_CACHE, { recursive: true });

/** When to SIGKILL a child: at the `skip + 1`-th event it reports for `phase`, `delayMs` later. */
export interface KillPlan {
  phase: string;
  skip: number;
  delayMs: number;
}

export interface ChildOutcome {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the harness sent the SIGKILL of the plan. */
  killed: boolean;
  /** Phase events seen, in order (`phase` lines on stdout). */
  events: string[];
  /** Other stdout lines (`key value` reports). */
  lines: string[];
  stderr: string;
}

export interface RunJobOptions {
  args: readonly string[];
  kill?: KillPlan;
  /** A hard limit: the child is killed and the run reported as hung. @default 60000 */
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Called for every event line; may kill or signal the child itself. */
  onEvent?: (event: string, child: ChildProcess) => void;
}

/**
 * Runs a TypeScript job script as a child process on the repo's Node with the workspace sources. The child reports
 * phase events as lines `@<phase>` on stdout (written synchronously before the step starts); the harness kills it
 * with SIGKILL when the planned event arrives.
 */
export function runJob(script: string, options: RunJobOptions): Promise<ChildOutcome & { hung: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--conditions=@pipewright/source', script, ...options.args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE, ...options.env },
    });
    const outcome = { code: null, signal: null, killed: false, hung: false, events: [], lines: [], stderr: '' } as {
      code: number | null;
      signal: NodeJS.Signals | null;
      killed: boolean;
      hung: boolean;
      events: string[];
      lines: string[];
      stderr: string;
    };
    let seen = 0;
    let buffered = '';
    let killTimer: NodeJS.Timeout | undefined;
    const hangTimer = setTimeout(() => {
      outcome.hung = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (!line.startsWith('@')) {
          outcome.lines.push(line);
          continue;
        }
        const event = line.slice(1);
        outcome.events.push(event);
        options.onEvent?.(event, child);
        const plan = options.kill;
        if (plan && killTimer === undefined && !outcome.killed && event === plan.phase && seen++ === plan.skip) {
          const fire = (): void => {
            outcome.killed = child.kill('SIGKILL');
          };
          if (plan.delayMs <= 0) fire();
          else killTimer = setTimeout(fire, plan.delayMs);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      outcome.stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(hangTimer);
      clearTimeout(killTimer);
      outcome.code = code;
      outcome.signal = signal;
      // A kill that raced the child's own exit did not interrupt anything.
      if (outcome.killed && signal !== 'SIGKILL') outcome.killed = false;
      resolve(outcome);
    });
  });
}
