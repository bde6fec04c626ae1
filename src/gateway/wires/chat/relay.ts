/**
 * The Chat Completions door in front of a Chat Completions upstream: the answer is relayed byte for byte
 * (a whole SSE frame at a time, see upstream-answer.ts); this observer reads the usage chunk for the log
 * and writes the closing error frame after a broken stream.
 */
import { quirksFor } from '../../config/providers';
import { GatewayError, type UpstreamError } from '../../errors';
import type { BuildOptions, RelayObserver } from '../types';

/** Params clients send by themselves; dropped (never an error) when the upstream rejects them. */
const AUTO_DROPPED = new Set(['reasoning_effort', 'parallel_tool_calls', 'stream_options', 'prompt_cache_key']);

/**
 * The client's Chat body for a Chat deployment (relayed): `up` is the body over the deployment's defaults
 * with the upstream model set; params the upstream rejects are dropped when `drop_params` is on (or when
 * clients send them on their own, e.g. Codex's `reasoning_effort: "none"`), else a 400 names them; the
 * deployment's output limit goes into the provider's max-tokens field when the client sent none.
 * @throws GatewayError 400 `unsupported_parameter`.
 */
export function chatRelayBody(up: Record<string, unknown>, opts: BuildOptions & { alias: string; providerName: string }): Record<string, unknown> {
  for (const p of opts.dropParamNames) {
    if (!(p in up)) continue;
    if (opts.dropParams || AUTO_DROPPED.has(p)) delete up[p];
    else {
      throw new GatewayError(
        400,
        `"${p}" is not supported by ${opts.providerName} (alias "${opts.alias}"): remove it from the request, or set litellm_settings.drop_params: true to drop it automatically.`,
        'invalid_request_error',
        'unsupported_parameter',
        p,
      );
    }
  }
  if (opts.maxTokens !== undefined && up.max_tokens === undefined && up.max_completion_tokens === undefined) {
    up[quirksFor(opts.provider).maxTokensField ?? 'max_tokens'] = opts.maxTokens;
  }
  return up;
}

/** Observer of a relayed Chat Completions stream (see the module notes). */
export class ChatRelay implements RelayObserver {
  /** @inheritdoc */
  readonly usage: { input?: number; output?: number } = {};

  /** @inheritdoc */
  see(json: Record<string, unknown>): void {
    const u = json.usage as Record<string, unknown> | undefined;
    if (!u || typeof u !== 'object') return;
    if (typeof u.prompt_tokens === 'number') this.usage.input = u.prompt_tokens;
    if (typeof u.completion_tokens === 'number') this.usage.output = u.completion_tokens;
  }

  /** @inheritdoc */
  fail(err: UpstreamError | undefined, message: string): string {
    return chatErrorFrame(err, message);
  }
}

/**
 * A Chat Completions in-stream error frame: `data: {"error": {message, type, code, param}}` (the shape
 * OpenAI sends mid-stream and its SDKs raise as an APIError); no `[DONE]` follows.
 */
export function chatErrorFrame(err: UpstreamError | undefined, message: string): string {
  const code = err?.kind === 'timeout' ? 'upstream_timeout' : err?.kind === 'context_window' ? 'context_length_exceeded' : 'server_error';
  return `data: ${JSON.stringify({ error: { message, type: 'upstream_error', code, param: null } })}\n\n`;
}
