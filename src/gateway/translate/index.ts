/**
 * Protocol translation between the OpenAI Responses API (what Codex speaks) and Chat Completions (what
 * most upstream providers speak). Pure functions and a per-stream state machine; no I/O.
 *
 * - {@link responsesToChatRequest}: Responses request -> Chat request plan (body, tool name map, dropped).
 * - {@link chatToResponsesResponse}: non-streamed Chat answer -> Responses `response` object.
 * - {@link ChatToResponsesStream}: streamed Chat chunks -> Responses stream events; {@link encodeSse}.
 * - {@link stripForeignReasoning} / {@link isOwnReasoning}: keep the gateway's own reasoning items away
 *   from a real Responses upstream.
 */
export * from './types';
export { responsesToChatRequest, type ChatTranslateOptions, type ChatRequestPlan } from './request';
export { chatToResponsesResponse } from './response';
export { ChatToResponsesStream, InputDecoder, encodeSse } from './stream';
export { type ResponseContext } from './output';
export { EMPTY_TOOL_NAME_MAP, ToolRegistry, flatToolName, type ToolNameMap, type ToolTarget } from './tools';
export {
  newResponseId,
  randomIds,
  sequentialIds,
  type IdGenerator,
  type IdPrefix,
} from './ids';
export {
  OWN_REASONING_PREFIX,
  decodeReasoning,
  encodeReasoning,
  isOwnReasoning,
  reasoningText,
  stripForeignReasoning,
} from './reasoning';
