// Credentials must never reach a lineage backend: these patterns remove them from free text (error messages,
// stack traces, URIs) before it goes into an event.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const KEY_VALUE =
  /\b(password|passwd|pwd|pass|secret|token|access[_-]?token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|sslpassword|sslkey|sig|signature|credentials?|auth)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,'"]+)/gi;
const JSON_SECRET =
  /("(?:password|passwd|pwd|secret|token|apiKey|api_key|accessKey|access_key|secretKey|secret_key|credentials?)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
const BEARER = /\b(bearer|basic)\s+[a-z0-9._~+/=-]{6,}/gi;

/**
 * Removes credentials from free text: the `user:password@` part of any URL, `password=…`/`token: …`-style pairs,
 * JSON secret fields and `Bearer …` headers. Used on every error message and stack trace the package emits.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, '$1')
    .replace(JSON_SECRET, '$1"***"')
    .replace(KEY_VALUE, '$1$2***')
    .replace(BEARER, '$1 ***');
}
