/**
 * Errors of the gateway, and their rendering in the OpenAI error shape
 * (`{"error": {"message", "type", "param", "code"}}`, as the OpenAI API and SDKs expect).
 */

/** The JSON body every error response carries (OpenAI API error object). */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}

/**
 * Why an upstream attempt failed. Drives retries, cooldowns and fallbacks in the router:
 * - `rate_limit` (429), `server` (5xx), `timeout`, `connection`: retryable, count towards cooldown.
 * - `bad_response`: a 2xx answer that is not a complete, well-formed answer of its wire (HTML, invalid
 *   JSON, an error object, malformed SSE, a stream cut before its terminal event); retryable, counts
 *   towards cooldown (docs/reliability.md).
 * - `auth` (401/403), `not_found` (404), `bad_request` (other 4xx): not retried on the same group.
 * - `context_window`: a context-length error; triggers `context_window_fallbacks`.
 * - `not_implemented`: the deployment's wire has no adapter yet (e.g. Anthropic before its issue).
 */
export type FailureKind =
  | 'rate_limit'
  | 'server'
  | 'bad_response'
  | 'timeout'
  | 'connection'
  | 'auth'
  | 'not_found'
  | 'bad_request'
  | 'context_window'
  | 'not_implemented';

/**
 * An error that reaches the client as an HTTP status plus an OpenAI error body. `message` must say what
 * happened and what to do next, and must never contain a provider key.
 */
export class GatewayError extends Error {
  /**
   * @param status HTTP status sent to the client.
   * @param message User-facing message (what happened, what to do).
   * @param type OpenAI error `type` (e.g. `invalid_request_error`, `authentication_error`).
   * @param code OpenAI error `code` (e.g. `model_not_found`, `context_length_exceeded`), or null.
   * @param param The request parameter at fault, or null.
   * @param headers Extra response headers (e.g. `Retry-After`).
   */
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  /** The OpenAI-shaped JSON body for this error. */
  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/**
 * A failed upstream attempt, classified. Thrown by provider adapters before the first byte reaches the
 * client; the router decides to retry, cool down, fall back, or turn it into a {@link GatewayError}.
 */
export class UpstreamError extends Error {
  /**
   * @param kind Classification (see {@link FailureKind}).
   * @param message Safe message (no keys); may quote the upstream's own error message.
   * @param status Upstream HTTP status, or 0 for timeouts and connection errors.
   * @param retryAfterMs Parsed `Retry-After` (seconds or HTTP date) in ms, if the upstream sent one.
   * @param upstreamCode The upstream's error `code`/`type` string, if any (e.g. `insufficient_quota`).
   */
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status: number = 0,
    readonly retryAfterMs?: number,
    readonly upstreamCode?: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }

  /**
   * The upstream's response headers, kept for a 429 only (a plan's usage headers come with its limit answer;
   * see chatgpt/usage.ts). Never logged: headers may name accounts.
   */
  headers?: Record<string, string | string[] | undefined>;

  /** Whether the router may retry this failure on the same model group. */
  get retryable(): boolean {
    return this.kind === 'rate_limit' || this.kind === 'server' || this.kind === 'bad_response' || this.kind === 'timeout' || this.kind === 'connection';
  }
}

/**
 * The upstream error code of a plan whose usage limit is reached (ChatGPT backend, as Codex handles it: 429
 * with `{"error": {"type": "usage_limit_reached", "resets_at", "resets_in_seconds"}}`, or the same error
 * object in a `response.failed`). The router cools such a deployment down until the reset.
 */
export const USAGE_LIMIT_CODE = 'usage_limit_reached';

/** Builds the JSON error body for a status and message (helper for routes and middleware). */
export function errorBody(message: string, type = 'invalid_request_error', code: string | null = null, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}
