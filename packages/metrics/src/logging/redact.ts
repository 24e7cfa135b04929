/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

// Key names (lower-cased, without separators) that hold secrets. Substrings, so `dbPassword`, `x-api-key`,
// `refresh_token` and `PG_CONNECTION_STRING` all match.
const SECRET_KEY =
  /pass(word|wd|phrase)|secret|token|apikey|authorization|credential|privatekey|connectionstring|connstr|cookie|sessionid/;
const SECRET_KEY_EXACT = new Set(['pass', 'pwd', 'dsn', 'auth', 'databaseurl', 'pgurl', 'redisurl']);

/** True when a field of this name should never reach a log. */
export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_KEY_EXACT.has(normalized) || SECRET_KEY.test(normalized);
}

// `scheme://user:password@host` → keep the user, drop the password.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/gi;
// libpq key=value strings and query parameters: `password=…`, `sslpassword=…`, `token=…`.
const KEY_VALUE_SECRET = /\b((?:ssl)?password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token)=([^\s&;]+)/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** Removes credentials embedded in free text (connection strings, URLs, Authorization headers). */
export function redactString(text: string): string {
  return text
    .replace(URL_CREDENTIALS, `$1:${REDACTED}@`)
    .replace(KEY_VALUE_SECRET, `$1=${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`);
}

const MAX_DEPTH = 8;

function serializeError(error: Error, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: redactString(error.message) };
  if (error.stack) out.stack = redactString(error.stack);
  for (const [key, value] of Object.entries(error)) {
    out[key] = isSecretKey(key) ? REDACTED : redactValue(value, seen, depth + 1);
  }
  if (error.cause !== undefined) out.cause = redactValue(error.cause, seen, depth + 1);
  return out;
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  seen.add(value);
  try {
    if (value instanceof Error) return serializeError(value, seen, depth);
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen, depth + 1));
    if (value instanceof Map) return redactValue(Object.fromEntries(value), seen, depth);
    if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        isSecretKey(key) && item !== undefined && item !== null ? REDACTED : redactValue(item, seen, depth + 1);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * Returns a copy of `value` safe to log: fields with secret-looking names (passwords, tokens, API keys,
 * connection strings, cookies) become `[REDACTED]`, credentials inside strings are cut out, errors become plain
 * objects (`type`, `message`, `stack`, own fields, `cause`), cycles become `[Circular]`. The input is not changed.
 */
export function redact(value: unknown): unknown {
  return redactValue(value, new WeakSet(), 0);
}
