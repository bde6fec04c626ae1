/**
 * The hub: one wire-neutral request (the conversation and its settings) and one stream event IR, between
 * the doors (a client's wire: Responses, Chat Completions, Anthropic Messages) and the upstream adapters
 * (a deployment's wire). A door parses its wire into a {@link HubRequest} and encodes {@link HubEvent}s
 * into its wire's answer; an upstream adapter builds its provider request from a HubRequest and decodes
 * the provider's answer into HubEvents. A new wire costs two adapters, not a translator per pair.
 *
 * The hub is normalised so every upstream builder is simple:
 * - leading system/developer texts are one `system` string; a later system message stays in place;
 * - every assistant tool call is answered by a `tool` message right after its assistant message, in call
 *   order (the door pulls outputs forward and answers a call without output with a note), which both
 *   Chat Completions (tool messages right after) and Messages (tool_result blocks in the next user turn)
 *   require;
 * - tools are flat functions with names valid on every wire (`^[a-zA-Z0-9_-]{1,64}$`), and
 *   {@link HubRequest.toolMap} remembers what each name stands for on the client's side (a namespace
 *   member, a freeform `custom` tool, a client `tool_search`), so the answer goes back in the client's terms.
 */
import type { ToolNameMap } from '../translate/tools';

/** A piece of user (or tool output) content other than plain text. */
export type HubMedia =
  | { type: 'image'; /** `data:` URL or http(s) URL. */ url: string; detail?: 'auto' | 'low' | 'high' }
  | { type: 'file'; fileId?: string; /** base64, or a data: URL */ fileData?: string; filename?: string };

/** A user content part. */
export type HubPart = { type: 'text'; text: string } | HubMedia;

/**
 * A reasoning block of an assistant turn. `text` is the readable thinking (may be empty for redacted
 * blocks); `signature` is Anthropic's opaque thinking signature, which must come back byte-exact;
 * `redacted` is the opaque `data` of an Anthropic `redacted_thinking` block. A block without signature and
 * redacted data is plain text reasoning (DeepSeek `reasoning_content`).
 */
export interface HubReasoning {
  text: string;
  signature?: string;
  redacted?: string;
}

/** One tool call of an assistant turn. `arguments` is the JSON text of the arguments object. */
export interface HubToolCall {
  id: string;
  /** The flat upstream function name (see {@link HubRequest.toolMap}). */
  name: string;
  arguments: string;
}

/** A message of the normalised conversation. */
export type HubMessage =
  | { role: 'system'; text: string }
  | { role: 'user'; /** A string when text only. */ content: string | HubPart[] }
  | {
      role: 'assistant';
      text: string | null;
      /** Reasoning blocks in order, before the text and calls (interleaved thinking is kept in order). */
      reasoning?: HubReasoning[];
      toolCalls?: HubToolCall[];
    }
  | {
      role: 'tool';
      callId: string;
      /** The output as text (media moved to `media`). */
      text: string;
      /** Images/files the tool returned (e.g. Codex's view_image). */
      media?: HubMedia[];
      /** The tool reported an error (Anthropic `is_error`; Chat has no such flag). */
      isError?: boolean;
    };

/**
 * Text of the tool output that answers a call nobody answered: the doors put it in the hub's `tool`
 * message, the Messages builder in the `tool_result` it adds (every call needs an answer right after it).
 */
export const NO_OUTPUT_TEXT = 'No output was recorded for this tool call.';

/** A tool the model may call: a flat function (JSON Schema parameters). */
export interface HubTool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict?: boolean;
}

/** How the model may use tools. */
export type HubToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** Requested output format (`text.format` / `response_format`). */
export type HubResponseFormat = { type: 'json_object' } | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean };

/** Generation settings; absent means "the client did not say". */
export interface HubSettings {
  /** Output token limit (tokens). */
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  /** `minimal` | `low` | `medium` | `high` | `none` | ... as the client sent it. */
  reasoningEffort?: string;
  responseFormat?: HubResponseFormat;
  parallelToolCalls?: boolean;
  toolChoice?: HubToolChoice;
  stop?: string[];
  user?: string;
  promptCacheKey?: string;
}

/** A client request, parsed by its door. */
export interface HubRequest {
  /** The leading system/developer text ('' when none). */
  system: string;
  messages: HubMessage[];
  tools: HubTool[];
  /** Flat tool name -> what it stands for on the client's side. */
  toolMap: ToolNameMap;
  settings: HubSettings;
  /** Whether the client asked for a stream. */
  stream: boolean;
  /** What the door left out, e.g. `tools:web_search`, `input:web_search_call` (for the debug log). */
  dropped: string[];
}

/* ------------------------------------------------------------------------------------------------
 * Stream event IR
 * ---------------------------------------------------------------------------------------------- */

/** Why the model stopped, in hub terms. */
export type HubFinishReason =
  | 'stop' /** natural end (Chat `stop`, Messages `end_turn`/`stop_sequence`) */
  | 'tool_calls' /** Messages `tool_use` */
  | 'length' /** output limit (Messages `max_tokens`) */
  | 'content_filter'
  | 'refusal'
  | 'pause'; /** Messages `pause_turn` */

/** Token usage (tokens). `input` includes cached tokens (OpenAI's convention). */
export interface HubUsage {
  input: number;
  output: number;
  /** Input tokens read from a prompt cache. */
  cachedInput?: number;
  /** Input tokens written to a prompt cache (Anthropic `cache_creation_input_tokens`). */
  cacheCreationInput?: number;
  /** Output tokens spent on reasoning. */
  reasoning?: number;
}

/**
 * One event of an answer, in order. Tool calls are identified by `index` (0, 1, ... per answer); the
 * first `call` event of an index carries `id` and `name` when the upstream sent them, later ones carry
 * argument fragments. A decoder emits `finish` once, after the last content; `usage` may come before or
 * after it. Failures are thrown (UpstreamError), not events.
 */
export type HubEvent =
  | { type: 'text'; text: string }
  | { type: 'refusal'; text: string }
  | { type: 'reasoning'; text: string }
  /** Closes the current reasoning block with its opaque signature (Anthropic `signature_delta`). */
  | { type: 'reasoning_signature'; signature: string }
  /** A whole redacted reasoning block (Anthropic `redacted_thinking`). */
  | { type: 'reasoning_redacted'; data: string }
  | { type: 'call'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'usage'; usage: HubUsage }
  | { type: 'finish'; reason: HubFinishReason };
