import { JobDefinitionError } from '../errors.ts';

export interface Graph {
  /** Step names in declaration order. */
  names: readonly string[];
  dependents: ReadonlyMap<string, readonly string[]>;
  dependencies: ReadonlyMap<string, readonly string[]>;
}

/** Checks names are unique, dependencies exist and there is no cycle (Kahn's algorithm). */
export function buildGraph(job: string, nodes: readonly { name: string; dependsOn: readonly string[] }[]): Graph {
  const names = nodes.map((n) => n.name);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new JobDefinitionError(job, `two steps are named "${name}"`);
    seen.add(name);
  }
  const dependents = new Map<string, string[]>(names.map((n) => [n, []]));
  const dependencies = new Map<string, string[]>();
  for (const node of nodes) {
    const deps = [...new Set(node.dependsOn)];
    for (const dep of deps) {
      if (!seen.has(dep)) throw new JobDefinitionError(job, `step "${node.name}" depends on unknown step "${dep}"`);
      if (dep === node.name) throw new JobDefinitionError(job, `step "${node.name}" depends on itself`);
      dependents.get(dep)?.push(node.name);
    }
    dependencies.set(node.name, deps);
  }
  const indegree = new Map(names.map((n) => [n, dependencies.get(n)?.length ?? 0]));
  const queue = names.filter((n) => indegree.get(n) === 0);
  let visited = 0;
  while (queue.length > 0) {
    const name = queue.shift() as string;
    visited++;
    for (const d of dependents.get(name) ?? []) {
      const left = (indegree.get(d) ?? 0) - 1;
      indegree.set(d, left);
      if (left === 0) queue.push(d);
    }
  }
  if (visited < names.length) {
    const cyclic = names.filter((n) => (indegree.get(n) ?? 0) > 0);
    throw new JobDefinitionError(job, `dependency cycle among ${cyclic.map((n) => `"${n}"`).join(', ')}`);
  }
  return { names, dependents, dependencies };
}

/** Every step reachable downstream of `from` (not including it). */
export function downstreamOf(graph: Graph, from: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>([from]);
  const stack = [...(graph.dependents.get(from) ?? [])];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(name);
    stack.push(...(graph.dependents.get(name) ?? []));
  }
  return out;
}

/**
 * Runs every step once its dependencies succeeded, at most `concurrency` at a time, in declaration order among
 * the ready ones. `runOne` never rejects; it resolves true on success. Steps downstream of a failure, and steps
 * not started when `stopped()` turns true, are handed to `skip` instead.
 */
export async function schedule(
  graph: Graph,
  concurrency: number,
  runOne: (name: string) => Promise<boolean>,
  skip: (name: string, because: string) => void,
  stopped: () => string | undefined,
): Promise<void> {
  const waiting = new Map(graph.names.map((n) => [n, graph.dependencies.get(n)?.length ?? 0]));
  const settled = new Set<string>();
  const ready = graph.names.filter((n) => waiting.get(n) === 0);
  let active = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      const stopReason = stopped();
      if (stopReason !== undefined) {
        for (const name of ready.splice(0)) markSkipped(name, stopReason);
      }
      while (active < concurrency && ready.length > 0) {
        const name = ready.shift() as string;
        active++;
        void runOne(name).then((ok) => {
          active--;
          settled.add(name);
          if (ok) {
            for (const d of graph.dependents.get(name) ?? []) {
              const left = (waiting.get(d) ?? 0) - 1;
              waiting.set(d, left);
              if (left === 0 && !settled.has(d)) ready.push(d);
            }
          } else {
            for (const d of downstreamOf(graph, name)) markSkipped(d, `upstream step "${name}" failed`);
          }
          pump();
        });
      }
      if (active === 0 && ready.length === 0) {
        const reason = stopped() ?? 'an upstream step did not run';
        for (const name of graph.names) if (!settled.has(name)) markSkipped(name, reason);
        resolve();
      }
    };
    const markSkipped = (name: string, because: string): void => {
      if (settled.has(name)) return;
      settled.add(name);
      skip(name, because);
    };
    pump();
  });
}
