/**
 * Wire shapes of the two OpenAI protocols the translator converts between, limited to the fields the
 * gateway reads or writes. Field names are the APIs' own.
 *
 * - Responses API (`POST /v1/responses`): what the Codex CLI 0.169 sends and expects back. Shapes checked
 *   against real Codex captures (test/unit/translate/golden/codex-*.json) and the OpenAI API reference
 *   ("Responses", "Streaming events").
 * - Chat Completions (`POST /v1/chat/completions`): what most upstream providers speak. Shapes from the
 *   OpenAI API reference ("Chat Completions", "The chat completion chunk object").
 *
 * Unknown extra fields are tolerated everywhere (providers add their own), so most interfaces are open.
 */

/* ------------------------------------------------------------------------------------------------
 * Responses API: request
 * ---------------------------------------------------------------------------------------------- */

/** A content part of a Responses input message. */
export type ResponsesContentPart =
  | { type: 'input_text'; text: string }
  | { type: 'output_text'; text: string; annotations?: unknown[]; logprobs?: unknown[] }
  | { type: 'refusal'; refusal: string }
  /** `detail` is `low` | `high` | `auto`; Codex 0.169 also sends `original` (not a Chat value). */
  | { type: 'input_image'; image_url?: string; file_id?: string; detail?: string }
  | { type: 'input_file'; file_id?: string; file_data?: string; file_url?: string; filename?: string }
  | { type: string; [k: string]: unknown };

/** `type: "message"` input item (the `type` may be omitted: "EasyInputMessage"). */
export interface ResponsesMessageItem {
  type?: 'message';
  id?: string;
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: string | ResponsesContentPart[];
  status?: string;
}

/** A call of a `function` tool (possibly inside a `namespace` tool: then `namespace` is set). */
export interface ResponsesFunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  /** Namespace tool the function belongs to (Responses `namespace` tools; Codex 0.169 routes on it). */
  namespace?: string;
  /** JSON-encoded arguments object, as a string. */
  arguments: string;
  status?: string;
}

/** A call of a `custom` (freeform) tool such as Codex's `apply_patch`. */
export interface ResponsesCustomToolCallItem {
  type: 'custom_tool_call';
  id?: string;
  call_id: string;
  name: string;
  namespace?: string;
  /** The raw tool input (not JSON). */
  input: string;
  status?: string;
}

/** Output of a tool call as Codex sends it: a string, or content parts (e.g. `view_image` returns an image). */
export type ResponsesToolOutput = string | ResponsesContentPart[];

/** Codex's answer to a `function_call` (matched by `call_id`). */
export interface ResponsesFunctionCallOutputItem {
  type: 'function_call_output';
  id?: string;
  call_id: string;
  output: ResponsesToolOutput;
  status?: string;
}

/** Codex's answer to a `custom_tool_call` (matched by `call_id`). */
export interface ResponsesCustomToolCallOutputItem {
  type: 'custom_tool_call_output';
  id?: string;
  call_id: string;
  output: ResponsesToolOutput;
  status?: string;
}

/** A `tool_search` call (execution `client`: Codex searches its deferred tools itself). */
export interface ResponsesToolSearchCallItem {
  type: 'tool_search_call';
  id?: string;
  call_id: string | null;
  execution?: 'client' | 'server';
  /** Parsed arguments object, e.g. `{query, limit}` (not a string, unlike `function_call`). */
  arguments: unknown;
  status?: string;
}

/** Tools loaded by a `tool_search` call; they become callable from then on. */
export interface ResponsesToolSearchOutputItem {
  type: 'tool_search_output';
  id?: string;
  call_id: string | null;
  execution?: 'client' | 'server';
  tools: ResponsesTool[];
  status?: string;
}

/** A reasoning item. Ours carry `encrypted_content` = `cgw1:` + base64(UTF-8 text); see reasoning.ts. */
export interface ResponsesReasoningItem {
  type: 'reasoning';
  id?: string;
  summary: Array<{ type: 'summary_text'; text: string }>;
  /** Raw reasoning text parts (`reasoning_text`), sent by some servers; Codex resends `content: null`. */
  content?: Array<{ type: string; text: string }> | null;
  encrypted_content?: string | null;
  status?: string;
}

/** Any other item type (web_search_call, compaction, item_reference, ...): passed over for chat upstreams. */
export interface ResponsesOtherItem {
  type: string;
  [k: string]: unknown;
}

/** One element of the Responses `input` array. */
export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesCustomToolCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesCustomToolCallOutputItem
  | ResponsesToolSearchCallItem
  | ResponsesToolSearchOutputItem
  | ResponsesReasoningItem
  | ResponsesOtherItem;

/** `{type:"function"}` tool (top level, or inside a namespace). */
export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  /** JSON Schema of the arguments object. */
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
  /** Hidden until a `tool_search` loads it. */
  defer_loading?: boolean;
}

/** `{type:"custom"}` freeform tool; Codex's `apply_patch` uses `format: {type:"grammar", syntax:"lark", definition}`. */
export interface ResponsesCustomTool {
  type: 'custom';
  name: string;
  description?: string;
  format?: { type: 'text' } | { type: 'grammar'; syntax?: string; definition?: string } | { type: string; [k: string]: unknown };
  defer_loading?: boolean;
}

/** `{type:"namespace"}`: a group of function/custom tools; calls carry `namespace` (seen in Codex 0.169 captures). */
export interface ResponsesNamespaceTool {
  type: 'namespace';
  name: string;
  description?: string;
  tools: Array<ResponsesFunctionTool | ResponsesCustomTool>;
}

/** `{type:"tool_search"}`; with `execution:"client"` it has `parameters` and Codex runs the search. */
export interface ResponsesToolSearchTool {
  type: 'tool_search';
  execution?: 'client' | 'server';
  description?: string;
  parameters?: Record<string, unknown>;
}

/** One element of Responses `tools`. Hosted tools (web_search, image_generation, ...) fall under the last case. */
export type ResponsesTool =
  | ResponsesFunctionTool
  | ResponsesCustomTool
  | ResponsesNamespaceTool
  | ResponsesToolSearchTool
  | { type: string; [k: string]: unknown };

/** Responses `tool_choice`. */
export type ResponsesToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { type: 'function'; name: string }
  | { type: 'custom'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: unknown[] }
  | { type: string; [k: string]: unknown };

/** Responses `text.format`. */
export type ResponsesTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean | null };

/** The body of `POST /v1/responses`. */
export interface ResponsesRequest {
  model: string;
  input?: string | ResponsesInputItem[];
  /** System prompt; Codex 0.169 sends none (its prompt is the first `developer` input message). */
  instructions?: string | null;
  tools?: ResponsesTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean;
  /** Output token limit (tokens). */
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  reasoning?: { effort?: string | null; summary?: string | null; generate_summary?: string | null } | null;
  text?: { format?: ResponsesTextFormat; verbosity?: string | null } | null;
  stream?: boolean;
  store?: boolean;
  include?: string[];
  user?: string;
  metadata?: Record<string, string> | null;
  previous_response_id?: string | null;
  prompt_cache_key?: string;
  service_tier?: string;
  [k: string]: unknown;
}

/* ------------------------------------------------------------------------------------------------
 * Responses API: output and stream
 * ---------------------------------------------------------------------------------------------- */

/** `output_text` content part of an assistant message output item. */
export interface ResponsesOutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

/** `refusal` content part of an assistant message output item. */
export interface ResponsesOutputRefusal {
  type: 'refusal';
  refusal: string;
}

/** Assistant `message` output item. */
export interface ResponsesOutputMessage {
  type: 'message';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant';
  content: Array<ResponsesOutputText | ResponsesOutputRefusal>;
}

/** `reasoning` output item (from the upstream's `reasoning_content`). */
export interface ResponsesOutputReasoning {
  type: 'reasoning';
  id: string;
  summary: Array<{ type: 'summary_text'; text: string }>;
  /** `cgw1:` + base64(text) for reasoning the gateway produced (so Codex resends it next turn). */
  encrypted_content?: string;
  status?: 'in_progress' | 'completed' | 'incomplete';
}

/** `function_call` output item; Codex runs the tool on `response.output_item.done`. */
export interface ResponsesOutputFunctionCall {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  namespace?: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

/** `custom_tool_call` output item (freeform tool such as `apply_patch`); `input` is the raw text. */
export interface ResponsesOutputCustomToolCall {
  type: 'custom_tool_call';
  id: string;
  call_id: string;
  name: string;
  namespace?: string;
  input: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

/** `tool_search_call` output item (client execution: Codex searches and answers with `tool_search_output`). */
export interface ResponsesOutputToolSearchCall {
  type: 'tool_search_call';
  id: string;
  call_id: string;
  execution: 'client';
  arguments: unknown;
  status: 'in_progress' | 'completed' | 'incomplete';
}

/** An element of `response.output`. */
export type ResponsesOutputItem =
  | ResponsesOutputMessage
  | ResponsesOutputReasoning
  | ResponsesOutputFunctionCall
  | ResponsesOutputCustomToolCall
  | ResponsesOutputToolSearchCall;

/** Responses `usage` (all counts in tokens). Codex needs input_tokens, output_tokens, total_tokens. */
export interface ResponsesUsage {
  input_tokens: number;
  /** `cache_write_tokens`: input tokens written to a prompt cache (Anthropic's cache creation); required by the spec's ResponseUsage. */
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The `response` object (non-streamed body, and inside `response.*` lifecycle events). */
export interface ResponsesResponse {
  id: string;
  object: 'response';
  /** Unix time in seconds. */
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  /** The public alias the client asked for (not the upstream model name). */
  model: string;
  output: ResponsesOutputItem[];
  parallel_tool_calls?: boolean;
  tool_choice?: ResponsesToolChoice;
  temperature?: number | null;
  top_p?: number | null;
  max_output_tokens?: number | null;
  /** Absent when the upstream reported none. */
  usage?: ResponsesUsage;
}

/** One server-sent event of a streamed Responses answer. Every event carries `sequence_number` (from 0). */
export type ResponsesStreamEvent =
  | { type: 'response.created' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed'; sequence_number: number; response: ResponsesResponse }
  | { type: 'response.output_item.added' | 'response.output_item.done'; sequence_number: number; output_index: number; item: ResponsesOutputItem }
  | {
      type: 'response.content_part.added' | 'response.content_part.done';
      sequence_number: number;
      item_id: string;
      output_index: number;
      content_index: number;
      part: ResponsesOutputText | ResponsesOutputRefusal;
    }
  | { type: 'response.output_text.delta'; sequence_number: number; item_id: string; output_index: number; content_index: number; delta: string; logprobs: unknown[] }
  | { type: 'response.output_text.done'; sequence_number: number; item_id: string; output_index: number; content_index: number; text: string; logprobs: unknown[] }
  | { type: 'response.refusal.delta'; sequence_number: number; item_id: string; output_index: number; content_index: number; delta: string }
  | { type: 'response.refusal.done'; sequence_number: number; item_id: string; output_index: number; content_index: number; refusal: string }
  | { type: 'response.function_call_arguments.delta'; sequence_number: number; item_id: string; output_index: number; delta: string }
  | { type: 'response.function_call_arguments.done'; sequence_number: number; item_id: string; output_index: number; name: string; arguments: string }
  | { type: 'response.custom_tool_call_input.delta'; sequence_number: number; item_id: string; output_index: number; delta: string }
  | { type: 'response.custom_tool_call_input.done'; sequence_number: number; item_id: string; output_index: number; input: string }
  | {
      type: 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done';
      sequence_number: number;
      item_id: string;
      output_index: number;
      summary_index: number;
      part: { type: 'summary_text'; text: string };
    }
  | { type: 'response.reasoning_summary_text.delta'; sequence_number: number; item_id: string; output_index: number; summary_index: number; delta: string }
  | { type: 'response.reasoning_summary_text.done'; sequence_number: number; item_id: string; output_index: number; summary_index: number; text: string };

/* ------------------------------------------------------------------------------------------------
 * Chat Completions
 * ---------------------------------------------------------------------------------------------- */

/** A content part of a Chat message. */
export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'file'; file: { file_id?: string; file_data?: string; filename?: string } };

/** One `tool_calls` entry of an assistant message. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  /** Gemini's per-call state (`{google: {thought_signature}}`), required back on the next turn. */
  extra_content?: { google: { thought_signature: string } };
}

/** A Chat `messages` entry as the translator produces it. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: ChatToolCall[];
      /** DeepSeek / Qwen thinking text, sent back on tool-call turns (DeepSeek requires it there). */
      reasoning_content?: string;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A Chat `tools` entry. */
export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean };
}

/** Chat `tool_choice`. */
export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** The body of `POST /chat/completions` as the gateway sends it upstream. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  /** Output token limit (tokens); OpenAI/Azure get `max_completion_tokens` instead. */
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning_effort?: string;
  response_format?: { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; json_schema: Record<string, unknown> };
  user?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [k: string]: unknown;
}

/** Chat `usage` (tokens). */
export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  /** DeepSeek's name for cached prompt tokens. */
  prompt_cache_hit_tokens?: number;
}

/** `finish_reason` values; providers add others (e.g. `function_call`, `eos`), treated as `stop`. */
export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | string | null;

/** A non-streamed chat completion. */
export interface ChatCompletion {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices: Array<{
    index?: number;
    message: {
      role?: string;
      content?: string | null;
      refusal?: string | null;
      /** DeepSeek, Qwen (DashScope), Ollama thinking text. */
      reasoning_content?: string | null;
      /** OpenRouter / vLLM name for the same. */
      reasoning?: string | null;
      tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: string | Record<string, unknown> } }> | null;
    };
    finish_reason?: ChatFinishReason;
  }>;
  usage?: ChatUsage | null;
}

/** A tool-call fragment inside a streamed delta; `index` identifies the call across chunks. */
export interface ChatToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | null };
}

/** One `chat.completion.chunk` of a streamed completion. */
export interface ChatCompletionChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices?: Array<{
    index?: number;
    delta?: {
      role?: string | null;
      content?: string | null;
      refusal?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: ChatToolCallDelta[] | null;
    };
    finish_reason?: ChatFinishReason;
  }>;
  usage?: ChatUsage | null;
  /** Non-standard mid-stream error some providers send (OpenRouter). */
  error?: { code?: string | number | null; message?: string } | null;
}
