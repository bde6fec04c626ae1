/**
 * Non-streamed Chat Completion -> Responses `response` object: the Chat upstream decoder's events
 * (wires/chat/upstream-answer.ts) folded by the Responses door encoder (wires/responses/door-stream.ts),
 * so a non-streamed answer is exactly the streamed one's final object. Kept as one call for the golden
 * files in test/unit/translate/golden/.
 */
import { chatJsonToEvents } from '../wires/chat/upstream-answer';
import { foldResponse } from '../wires/responses/door-stream';
import type { ResponseContext } from './output';
import type { ChatCompletion, ResponsesResponse } from './types';

/**
 * Translates one Chat Completion into a Responses `response` object (only `choices[0]` is used).
 * @param chat The upstream's parsed JSON body.
 * @param ctx Response id, alias, creation time, tool name map and the client request.
 * @returns A `response` with status `completed`, or `incomplete` for `finish_reason` length/content_filter.
 */
export function chatToResponsesResponse(chat: ChatCompletion, ctx: ResponseContext): ResponsesResponse {
  return foldResponse(chatJsonToEvents(chat as unknown as Record<string, unknown>), ctx);
}
