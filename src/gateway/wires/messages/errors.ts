/**
 * Errors on the Messages door in Anthropic's shape: `{"type": "error", "error": {"type", "message"}}` with
 * the statuses Claude Code acts on (Anthropic API reference, "Errors"; Claude Code 2.1.328's behaviour in
 * shared/notes/claude-code-wire.md: 429 with `retry-after` and 529 `overloaded_error` are retried, a 400
 * whose message reads "prompt is too long" starts its own compaction, any 404 is shown as "There's an
 * issue with the selected model").
 */
import type { GatewayError } from '../../errors';

/** Anthropic's error body. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/**
 * The status and Anthropic body for a gateway error (which carries OpenAI's type/code):
 * - context length (`context_length_exceeded`) -> 400 `invalid_request_error` starting "prompt is too long: "
 *   (Claude Code matches that wording);
 * - unknown alias (`model_not_found`) -> 404 `not_found_error`, the message naming the alias and the known ones;
 * - 401 -> `authentication_error`, 403 -> `permission_error`, 404 -> `not_found_error`, 413 -> `request_too_large`,
 *   429 -> `rate_limit_error` (the `Retry-After` header is kept by the caller);
 * - an upstream server error after retries and fallbacks (`upstream_error`) -> 529 `overloaded_error`, which
 *   Claude Code retries with backoff; a timeout (504) -> 504 `timeout_error`; other 5xx -> `api_error`;
 * - any other 4xx -> `invalid_request_error`.
 */
export function anthropicError(err: GatewayError): { status: number; body: AnthropicErrorBody } {
  const body = (type: string, message: string): AnthropicErrorBody => ({ type: 'error', error: { type, message } });
  if (err.code === 'context_length_exceeded') {
    return { status: 400, body: body('invalid_request_error', /^prompt is too long/i.test(err.message) ? err.message : `prompt is too long: ${err.message}`) };
  }
  if (err.code === 'model_not_found') return { status: 404, body: body('not_found_error', err.message) };
  switch (err.status) {
    case 401:
      return { status: 401, body: body('authentication_error', err.message) };
    case 403:
      return { status: 403, body: body('permission_error', err.message) };
    case 404:
      return { status: 404, body: body('not_found_error', err.message) };
    case 413:
      return { status: 413, body: body('request_too_large', err.message) };
    case 429:
      return { status: 429, body: body('rate_limit_error', err.message) };
    case 502:
      if (err.code === 'upstream_error') return { status: 529, body: body('overloaded_error', err.message) };
      return { status: 502, body: body('api_error', err.message) };
    case 504:
      return { status: 504, body: body('timeout_error', err.message) };
    default:
      return err.status >= 500 ? { status: err.status, body: body('api_error', err.message) } : { status: err.status, body: body('invalid_request_error', err.message) };
  }
}
