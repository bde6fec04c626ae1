/**
 * Anthropic Messages wire types (`POST /v1/messages`, `anthropic-version: 2023-06-01`), the subset the
 * gateway builds and reads. Source: Anthropic API reference, "Messages" (request and response shapes) and
 * "Streaming Messages" (SSE events). Token counts are in tokens.
 */

/** A prompt-cache breakpoint (Anthropic docs, "Prompt caching": `cache_control`). */
export interface MessagesCacheControl {
  type: 'ephemeral';
  /** `5m` (default when absent) or `1h`. */
  ttl?: '5m' | '1h';
}

/** `text` content block. Text must be non-empty and not whitespace only. */
export interface MessagesTextBlock {
  type: 'text';
  text: string;
  cache_control?: MessagesCacheControl;
}

/** `image` content block: inline base64 (JPEG, PNG, GIF, WebP) or an http(s) URL. */
export interface MessagesImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
  cache_control?: MessagesCacheControl;
}

/** `document` content block: a PDF (base64) or plain text. */
export interface MessagesDocumentBlock {
  type: 'document';
  source: { type: 'base64'; media_type: 'application/pdf'; data: string } | { type: 'text'; media_type: 'text/plain'; data: string };
  title?: string;
  cache_control?: MessagesCacheControl;
}

/** `tool_result` content block (user turn): answers the `tool_use` with the same id of the previous assistant turn. */
export interface MessagesToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: (MessagesTextBlock | MessagesImageBlock)[];
  is_error?: boolean;
  cache_control?: MessagesCacheControl;
}

/** `thinking` content block (assistant turn); `signature` must come back byte-exact. */
export interface MessagesThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

/** `redacted_thinking` content block (assistant turn): opaque encrypted thinking. */
export interface MessagesRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

/** `tool_use` content block (assistant turn). `id` matches `^[a-zA-Z0-9_-]+$`; `input` is an object. */
export interface MessagesToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
  cache_control?: MessagesCacheControl;
}

/** A content block of a user turn. */
export type MessagesUserBlock = MessagesTextBlock | MessagesImageBlock | MessagesDocumentBlock | MessagesToolResultBlock;

/** A content block of an assistant turn. */
export type MessagesAssistantBlock = MessagesThinkingBlock | MessagesRedactedThinkingBlock | MessagesTextBlock | MessagesToolUseBlock;

/** One turn of `messages` (roles alternate, the first is `user`). The builder always sends arrays. */
export type MessagesMessage = { role: 'user'; content: MessagesUserBlock[] } | { role: 'assistant'; content: MessagesAssistantBlock[] };

/** A tool definition. */
export interface MessagesTool {
  /** `^[a-zA-Z0-9_-]{1,64}$` */
  name: string;
  description?: string;
  /** JSON Schema with `type: "object"`. */
  input_schema: Record<string, unknown>;
  cache_control?: MessagesCacheControl;
}

/** `tool_choice`. `disable_parallel_tool_use` is not allowed with `none`. */
export type MessagesToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

/** `thinking` (extended thinking): `budget_tokens` >= 1024 and < `max_tokens`. */
export type MessagesThinking = { type: 'enabled'; budget_tokens: number } | { type: 'disabled' } | { type: 'adaptive' };

/** The request body of `POST /v1/messages`. Unknown top-level fields are rejected by Anthropic. */
export interface MessagesRequest {
  model: string;
  /** Output limit (tokens), required; includes thinking tokens. */
  max_tokens: number;
  messages: MessagesMessage[];
  system?: MessagesTextBlock[];
  tools?: MessagesTool[];
  tool_choice?: MessagesToolChoice;
  thinking?: MessagesThinking;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  metadata?: { user_id?: string };
  stream?: boolean;
  [key: string]: unknown;
}

/** `usage` of a message (`message_start`, `message_delta` and the non-streamed `message`). */
export interface MessagesUsage {
  /** Input tokens NOT read from or written to the cache. */
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}
