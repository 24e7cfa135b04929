import { inspect } from 'node:util';

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** Paints text when colour is on; a no-op otherwise. */
export type Paint = (colour: Colour, text: string) => string;

export function painter(enabled: boolean): Paint {
  return enabled ? (colour, text) => `\u001b[${CODES[colour]}m${text}\u001b[0m` : (_colour, text) => text;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what we strip
const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (text: string): number => text.replace(ANSI, '').length;

/** An aligned table: a header row, then one line per row; cells are cut at `maxWidth` characters. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], paint: Paint): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => visible(row[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell))))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(headers)), ...rows.map(line)].join('\n');
}

/** Cuts `text` to one line of at most `max` characters. */
export function cut(text: string, max = 60): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** `3d 4h`, `12m`, `40s`: how long ago, in the two largest units. */
export function age(ms: number): string {
  if (ms < 0) ms = 0;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || (parts.length === 0 && unit === 's')) parts.push(`${n}${unit}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** A duration such as `90s`, `15m`, `6h`, `7d`, `2w` in milliseconds, or undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  const size = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 'ms'];
  return Number(match[1]) * size;
}

/** A value as JSON can carry it: bigint as a string, Date as ISO, Map/Set/bytes spelled out, no cycles. */
export function jsonSafe(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return null;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (seen.has(value)) return '[Circular]';
  // `seen` holds the ancestors only, so a value shared by two branches is printed twice, not as a cycle
  seen.add(value);
  try {
    if (value instanceof Error) return { name: value.name, message: value.message };
    if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), jsonSafe(v, seen)]));
    if (value instanceof Set) return [...value].map((v) => jsonSafe(v, seen));
    if (Array.isArray(value)) return value.map((v) => jsonSafe(v, seen));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v, seen)]));
  } finally {
    seen.delete(value);
  }
}

/** Pretty JSON of `value` (through `jsonSafe`), newline-terminated. */
export function json(value: unknown): string {
  return `${JSON.stringify(jsonSafe(value), null, 2)}\n`;
}

/** A readable multi-line rendering of any value for humans (bigint, Map, Date… shown as they are). */
export function pretty(value: unknown, colours: boolean): string {
  return inspect(value, { depth: 8, colors: colours, breakLength: 100, sorted: false });
}

/** An ISO timestamp without milliseconds, or `-`. */
export function when(date: Date | number | undefined): string {
  if (date === undefined) return '-';
  const d = typeof date === 'number' ? new Date(date) : date;
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
