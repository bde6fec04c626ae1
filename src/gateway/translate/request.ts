/**
 * Responses request -> Chat Completions request, for `chat`-wire deployments: the Responses door's parser
 * (wires/responses/door-request.ts) into the hub, then the Chat upstream builder
 * (wires/chat/upstream-request.ts). Kept as one call for the golden files in test/unit/translate/golden/,
 * which pin both halves together; the mapping rules are documented on those two modules.
 */
import type { ToolNameMap } from './tools';
import type { ChatCompletionRequest, ResponsesRequest } from './types';
import { parseResponsesRequest } from '../wires/responses/door-request';
import { buildChatRequest } from '../wires/chat/upstream-request';
import type { BuildOptions } from '../wires/types';

/** How to build the upstream request for one deployment (see {@link BuildOptions}). */
export type ChatTranslateOptions = BuildOptions;

/** The translated request plus what the answer's translation needs. */
export interface ChatRequestPlan {
  body: ChatCompletionRequest;
  /** Upstream function name -> original tool (pass it to the {@link ResponseContext}). */
  tools: ToolNameMap;
  /** What was left out, e.g. `tools:web_search`, `reasoning_effort`, `input:web_search_call`. */
  dropped: string[];
}

/**
 * Translates a Responses request into a Chat Completions request for one deployment.
 * @param req The client's `POST /v1/responses` body (already JSON-parsed).
 * @param opts The deployment's upstream model, provider and drop rules.
 * @returns The upstream body, the tool name map for the answer, and what was dropped.
 * @throws GatewayError 400 (`invalid_request_error`, `param` set) on malformed input, on
 *   `previous_response_id`/`conversation`/`prompt`, on an image given by `file_id`, and on a parameter the
 *   upstream rejects while `dropParams` is off.
 */
export function responsesToChatRequest(req: ResponsesRequest, opts: ChatTranslateOptions): ChatRequestPlan {
  const hub = parseResponsesRequest(req);
  const { body, dropped } = buildChatRequest(hub, opts);
  return { body, tools: hub.toolMap, dropped };
}
