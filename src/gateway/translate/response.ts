/**
 * Non-streamed Chat Completion -> Responses `response` object.
 *
 * Output items, in this order (as the Responses API emits them): a `reasoning` item when the upstream
 * returned `reasoning_content` (or `reasoning`), an assistant `message` when it returned text or a
 * refusal, then one item per tool call (`function_call`, `custom_tool_call` or `tool_search_call`, see
 * tools.ts). Status from `finish_reason` (see {@link statusFor}); usage mapped by {@link mapUsage}.
 */
import { encodeReasoning } from './reasoning';
import { baseResponse, idsOf, mapUsage, statusFor, targetOf, toolCallItem, type ResponseContext } from './output';
import type { ChatCompletion, ResponsesOutputMessage, ResponsesResponse } from './types';

/**
 * Translates one Chat Completion into a Responses `response` object (only `choices[0]` is used).
 * @param chat The upstream's parsed JSON body.
 * @param ctx Response id, alias, creation time, tool name map and the client request.
 * @returns A `response` with status `completed`, or `incomplete` for `finish_reason` length/content_filter.
 *   A body with no choices yields a completed response with empty output.
 */
export function chatToResponsesResponse(chat: ChatCompletion, ctx: ResponseContext): ResponsesResponse {
  const ids = idsOf(ctx);
  const choice = Array.isArray(chat?.choices) ? (chat.choices.find((c) => (c?.index ?? 0) === 0) ?? chat.choices[0]) : undefined;
  const st = statusFor(choice?.finish_reason);
  const r = baseResponse(ctx, st.status);
  r.incomplete_details = st.incomplete_details;
  const msg = choice?.message;
  if (msg) {
    const reasoning = typeof msg.reasoning_content === 'string' && msg.reasoning_content ? msg.reasoning_content : typeof msg.reasoning === 'string' ? msg.reasoning : '';
    if (reasoning) {
      r.output.push({ type: 'reasoning', id: ids('rs'), summary: [{ type: 'summary_text', text: reasoning }], encrypted_content: encodeReasoning(reasoning) });
    }
    const content: ResponsesOutputMessage['content'] = [];
    if (typeof msg.content === 'string' && msg.content) content.push({ type: 'output_text', text: msg.content, annotations: [], logprobs: [] });
    if (typeof msg.refusal === 'string' && msg.refusal) content.push({ type: 'refusal', refusal: msg.refusal });
    if (content.length) {
      r.output.push({ type: 'message', id: ids('msg'), status: st.status === 'completed' ? 'completed' : 'incomplete', role: 'assistant', content });
    }
    if (Array.isArray(msg.tool_calls)) {
      for (const tc of msg.tool_calls) {
        if (!tc || typeof tc !== 'object') continue;
        const name = typeof tc.function?.name === 'string' ? tc.function.name : '';
        const args = tc.function?.arguments;
        const argText = typeof args === 'string' ? args : args === undefined || args === null ? '' : JSON.stringify(args);
        const callId = typeof tc.id === 'string' && tc.id ? tc.id : ids('call');
        r.output.push(toolCallItem(ids, targetOf(ctx.tools, name), callId, argText));
      }
    }
  }
  if (chat?.usage && typeof chat.usage === 'object') r.usage = mapUsage(chat.usage);
  return r;
}
