/**
 * Scrubs secrets from text that may reach a log, the health view or a client error message: upstream
 * error messages sometimes echo a (masked) API key or a URL carrying a key in its query string.
 */

const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=*-]+/gi;
/** Key-shaped tokens by well-known prefixes (OpenAI/DeepSeek/Anthropic `sk-`, Groq `gsk_`, xAI, Google `AIza`, HF). */
const KEY_PREFIXED = /\b(?:sk|pk|rk|ak)[-_][A-Za-z0-9_*.-]{6,}|\b(?:gsk|hf|xai|key)[-_][A-Za-z0-9*]{6,}|\bAIza[0-9A-Za-z_-]{10,}/g;
/** `api_key=...`, `"token": "..."` and friends. */
const KEY_ASSIGN = /\b(api[_-]?key|access[_-]?token|token|secret|password|key|sig|signature)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi;
/** URLs: drop user info, query and fragment, keep scheme, host and path. */
const URL_RE = /\b(https?|wss?):\/\/(?:[^\s/@'"<>]*@)?([^\s/?#'"<>]+)([^\s?#'"<>]*)(?:\?[^\s#'"<>]*)?(?:#[^\s'"<>]*)?/gi;

/**
 * Returns `text` with bearer tokens, key-shaped tokens, `key=value` secrets, URL credentials and URL
 * query strings replaced by `[redacted]`, and every occurrence of `extraSecret` (e.g. a literal api_key
 * from the config) removed too.
 * @param text Any message (may be long; callers truncate afterwards).
 * @param extraSecret A known secret value to remove verbatim; ignored when shorter than 4 characters.
 */
export function redactSecrets(text: string, extraSecret?: string): string {
  let out = text;
  if (extraSecret && extraSecret.length >= 4) out = out.split(extraSecret).join('[redacted]');
  return out
    .replace(URL_RE, (_m, scheme: string, host: string, path: string) => `${scheme}://${host}${path}`)
    .replace(BEARER, '$1 [redacted]')
    .replace(KEY_PREFIXED, '[redacted]')
    .replace(KEY_ASSIGN, '$1$2[redacted]');
}

/** {@link redactSecrets}, then cut to at most `max` characters (an ellipsis marks the cut). */
export function safeText(text: string, max = 500, extraSecret?: string): string {
  const s = redactSecrets(text, extraSecret);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
