/**
 * The Chat Completions door in front of a Chat Completions upstream: the answer is relayed byte for byte
 * (a whole SSE frame at a time, see upstream-answer.ts); this observer reads the usage chunk for the log
 * and writes the closing error frame after a broken stream.
 */
import type { UpstreamError } from '../../errors';
import type { RelayObserver } from '../registry';

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
