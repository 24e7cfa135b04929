/**
 * Tagged JSON for trees deeper than a call stack allows. `JSON.stringify`, a JSON reviver and the recursive
 * tagging walk all overflow somewhere past a few thousand levels, and PostgreSQL's json parser has a depth limit
 * of its own; a dead letter must still keep such a record. Below `MAX_DEPTH` the fast recursive path runs; the
 * subtree under it is written here, with explicit stacks, as one JSON text stored in a `deep` tag.
 */

/** Containers nested this deep are stored as a `deep` tag (`{ "$pw": "deep", "v": "<tagged JSON text>" }`). */
export const MAX_DEPTH = 256;

/** Marks a reference back to an enclosing container, which no JSON can hold. */
export const CIRCULAR = '{"$pw":"circular"}';

interface Frame {
  node: object;
  items: readonly unknown[];
  /** Object keys (already JSON-quoted with `:`), or undefined for array-like frames. */
  keys: readonly string[] | undefined;
  close: string;
  next: number;
}

function plainKeys(value: object): string[] {
  const record = value as Record<string, unknown>;
  return Object.keys(record).filter((key) => typeof record[key] !== 'function' && typeof record[key] !== 'symbol');
}

/**
 * Writes `root` as tagged JSON text without recursion. `leaf` encodes a value that holds no other values
 * (a primitive, a Date, bytes) exactly as the recursive path does; it returns undefined where JSON has no value.
 */
export function deepJson(root: unknown, leaf: (value: unknown) => string | undefined): string {
  const parts: string[] = [];
  const stack: Frame[] = [];
  const open = new Set<object>();

  const visit = (input: unknown): void => {
    let value = input;
    // Boxed primitives and toJSON() stand for what they return, as in the recursive path.
    while (typeof value === 'object' && value !== null && !(value instanceof Date) && !(value instanceof Uint8Array)) {
      if (value instanceof String || value instanceof Number || value instanceof Boolean) value = value.valueOf();
      else if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        value = (value as { toJSON: (key: string) => unknown }).toJSON('');
      } else break;
    }
    if (typeof value !== 'object' || value === null || value instanceof Date || value instanceof Uint8Array) {
      parts.push(leaf(value) ?? 'null');
      return;
    }
    if (open.has(value)) {
      parts.push(CIRCULAR);
      return;
    }
    open.add(value);
    if (Array.isArray(value)) {
      parts.push('[');
      stack.push({ node: value, items: value, keys: undefined, close: ']', next: 0 });
    } else if (value instanceof Map || value instanceof Set) {
      parts.push(`{"$pw":"${value instanceof Map ? 'map' : 'set'}","v":[`);
      stack.push({ node: value, items: [...value], keys: undefined, close: ']}', next: 0 });
    } else {
      const record = value as Record<string, unknown>;
      const keys = plainKeys(record);
      if (Object.hasOwn(record, '$pw') || !keys.every((key) => key.isWellFormed())) {
        parts.push('{"$pw":"object","v":[');
        const pairs = Object.keys(record).map((key) => [key, record[key]]);
        stack.push({ node: value, items: pairs, keys: undefined, close: ']}', next: 0 });
      } else {
        parts.push('{');
        const items = keys.map((key) => record[key]);
        const quoted = keys.map((key) => `${JSON.stringify(key)}:`);
        stack.push({ node: value, items, keys: quoted, close: '}', next: 0 });
      }
    }
  };

  visit(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.next === frame.items.length) {
      parts.push(frame.close);
      open.delete(frame.node);
      stack.pop();
      continue;
    }
    const index = frame.next++;
    if (index > 0) parts.push(',');
    if (frame.keys) parts.push(frame.keys[index] as string);
    visit(frame.items[index]);
  }
  return parts.join('');
}

/**
 * Parses `text` (V8's `JSON.parse` without a reviver does not recurse) and applies `revive` to every container,
 * children before parents, as `JSON.parse(text, revive)` would, but with an explicit stack.
 */
export function parseDeep(text: string, revive: (key: string, value: unknown) => unknown): unknown {
  const root = JSON.parse(text) as unknown;
  const order: [Record<string, unknown> | undefined, string, object][] = [];
  const pending: [Record<string, unknown> | undefined, string, unknown][] = [[undefined, '', root]];
  while (pending.length > 0) {
    const [parent, key, node] = pending.pop() as [Record<string, unknown> | undefined, string, unknown];
    if (typeof node !== 'object' || node === null) continue;
    order.push([parent, key, node]);
    const container = node as Record<string, unknown>;
    for (const child of Object.keys(container)) pending.push([container, child, container[child]]);
  }
  let result: unknown = root;
  for (let i = order.length - 1; i >= 0; i--) {
    const [parent, key, node] = order[i] as [Record<string, unknown> | undefined, string, object];
    const revived = revive(key, node);
    if (parent) parent[key] = revived;
    else result = revived;
  }
  return result;
}
