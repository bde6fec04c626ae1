/**
 * Streamed Chat Completions -> Responses API stream events, chunk by chunk: the Chat upstream decoder
 * (wires/chat/upstream-answer.ts) into hub events, then the Responses door encoder
 * (wires/responses/door-stream.ts). Kept as one class for the golden files in
 * test/unit/translate/golden/, which pin both halves together; the rules are documented on those modules.
 */
import { ChatDecoder } from '../wires/chat/upstream-answer';
import { ResponsesEventEncoder } from '../wires/responses/door-stream';
import type { ResponseContext } from './output';
import type { ChatCompletionChunk, ResponsesStreamEvent, ResponsesUsage } from './types';

export { InputDecoder, encodeSse } from '../wires/responses/door-stream';

/**
 * Translates one streamed chat completion into Responses stream events. Feed it parsed chunks in order;
 * each method returns the events to send, in order. After {@link end} or {@link fail}, every method
 * returns an empty array.
 */
export class ChatToResponsesStream {
  private readonly decoder = new ChatDecoder();
  private readonly encoder: ResponsesEventEncoder;

  /** @param ctx Response id, alias, time, tool name map, request, optional id generator. */
  constructor(ctx: ResponseContext) {
    this.encoder = new ResponsesEventEncoder(ctx);
  }

  /** Token usage reported by the upstream so far (tokens), once a chunk carried `usage`. */
  get usage(): ResponsesUsage | undefined {
    return this.encoder.usage;
  }

  /** `response.created` then `response.in_progress`. */
  start(): ResponsesStreamEvent[] {
    return this.encoder.start();
  }

  /**
   * Translates one parsed `chat.completion.chunk`. A chunk carrying a non-standard `error` object (sent
   * mid-stream by some providers) fails the response (see {@link fail}).
   */
  push(chunk: ChatCompletionChunk): ResponsesStreamEvent[] {
    if (!chunk || typeof chunk !== 'object') return [];
    if (chunk.error && typeof chunk.error === 'object') {
      // Only codes the Responses API defines for response.failed pass on; anything else is server_error.
      const { code, message } = chunk.error;
      return this.encoder.fail(code === 'context_length_exceeded' || code === 'rate_limit_exceeded' ? code : 'server_error', typeof message === 'string' ? message : 'The upstream reported an error mid-stream.');
    }
    const out: ResponsesStreamEvent[] = [];
    for (const ev of this.decoder.push(chunk as Record<string, unknown>)) for (const e of this.encoder.push(ev)) out.push(e);
    return out;
  }

  /** Ends the stream normally (`response.completed` or `response.incomplete`). */
  end(): ResponsesStreamEvent[] {
    return this.encoder.end();
  }

  /** Ends the stream with `response.failed` (`error: {code, message}`). */
  fail(code: string, message: string): ResponsesStreamEvent[] {
    return this.encoder.fail(code, message);
  }
}
