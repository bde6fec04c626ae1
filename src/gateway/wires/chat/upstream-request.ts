/**
 * The Chat Completions upstream adapter's request side: {@link HubRequest} -> `POST /chat/completions`
 * body, with the one upstream body policy every door shares.
 *
 * Messages (OpenAI API reference, "Create chat completion": messages):
 * - the hub's `system` becomes ONE leading `system` message (several upstreams and chat templates accept
 *   only one, and only first); later hub system messages stay `system` messages in place;
 * - user content: a string, or `text` / `image_url` / `file` parts;
 * - assistant: text (null when empty) and `tool_calls`; its reasoning text goes back as
 *   `reasoning_content` on tool-call turns (DeepSeek's thinking mode requires it there: DeepSeek API docs,
 *   "Reasoning Model", multi-round tool calls), except to providers whose Chat API rejects unknown message
 *   fields (`quirks.strictMessageFields` in config/providers.ts) or when `reasoning_content` is in
 *   `dropParamNames`;
 * - hub tool messages -> `role: "tool"` messages; the images/files a run of tool messages returned follow
 *   in one user message (Chat tool messages carry text only);
 * - a call id carrying a thought signature (hub/call-id.ts) is sent as the provider's own id, with the
 *   signature back in `extra_content.google.thought_signature` where the provider wants it
 *   (`quirks.thoughtSignatures`: Gemini).
 *
 * Body policy: `extraBody` (deployment `litellm_params`) gives defaults, the client's values win (LiteLLM's
 * order); the output limit goes into the provider's `quirks.maxTokensField` (`max_completion_tokens` for
 * OpenAI/Azure, whose reasoning models reject `max_tokens`), with the deployment's `maxTokens` when the
 * client sent none;
 * `reasoning.effort` -> `reasoning_effort`; `text.format` -> `response_format`; `prompt_cache_key` where the
 * provider takes it; streaming adds `stream_options.include_usage`. A parameter in `dropParamNames` is dropped
 * (and listed) when `dropParams` is on, else a GatewayError 400 names it and the fix; `reasoning_effort`,
 * `parallel_tool_calls`, `stream_options`, `prompt_cache_key` and `reasoning_content` are always dropped
 * (clients such as Codex send them on their own, e.g. `reasoning_effort: "none"` from its /model picker, so
 * failing would break every turn for a setting the user never chose).
 */
import { quirksFor, type BodyQuirks } from '../../config/providers';
import type { HubMedia, HubMessage, HubPart, HubRequest } from '../../hub/types';
import { splitCallId } from '../../hub/call-id';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage, ChatToolCall, ChatToolChoice } from '../../translate/types';
import { dropRejected } from '../policy';
import { BUILDER_PARAMS, type BuildOptions, type BuiltRequest } from '../types';

/** Params clients send by themselves; dropped (never an error) when the upstream rejects them. */
const AUTO_DROPPED = new Set(['reasoning_effort', 'parallel_tool_calls', 'stream_options', 'prompt_cache_key', 'reasoning_content']);
/** extraBody keys the builder owns. */
const RESERVED_BODY_KEYS = new Set(['model', 'messages', 'stream', 'stream_options', 'tools', 'tool_choice', 'functions']);
/** Responses names of Chat params, for matching `dropParamNames` written either way. */
const RESPONSES_NAME: Record<string, string> = {
  max_tokens: 'max_output_tokens',
  max_completion_tokens: 'max_output_tokens',
  reasoning_effort: 'reasoning',
  response_format: 'text',
};
/** How the client named a setting, for messages (Responses names; Chat clients know both). */
const CLIENT_NAME: Record<string, string> = {
  max_tokens: 'max_output_tokens',
  max_completion_tokens: 'max_output_tokens',
  reasoning_effort: 'reasoning.effort',
  response_format: 'text.format',
};

type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;

/** A Chat content part for a hub part. */
function chatPart(p: HubPart): ChatContentPart {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'image':
      return p.detail ? { type: 'image_url', image_url: { url: p.url, detail: p.detail } } : { type: 'image_url', image_url: { url: p.url } };
    default: {
      const file: { file_id?: string; file_data?: string; filename?: string } = {};
      if (p.fileId !== undefined) file.file_id = p.fileId;
      if (p.fileData !== undefined) file.file_data = p.fileData;
      if (p.filename !== undefined) file.filename = p.filename;
      return { type: 'file', file };
    }
  }
}

/**
 * Builds the Chat Completions body for one deployment.
 * @param hub The parsed client request.
 * @param opts The deployment's model, provider, drop rules and defaults.
 * @returns The body and what was dropped (`reasoning_effort`, `tools`, ...).
 * @throws GatewayError 400 `unsupported_parameter` when the client set a parameter the upstream rejects
 *   and `drop_params` is off.
 */
export function buildChatRequest(hub: HubRequest, opts: BuildOptions): BuiltRequest & { body: ChatCompletionRequest } {
  return new ChatBuilder(hub, opts).run();
}

class ChatBuilder {
  private readonly dropped: Set<string>;
  private readonly sendReasoning: boolean;
  private readonly quirks: BodyQuirks;

  constructor(
    private readonly hub: HubRequest,
    private readonly opts: BuildOptions,
  ) {
    this.dropped = new Set(hub.dropped);
    this.quirks = quirksFor(opts.provider);
    this.sendReasoning = !this.quirks.strictMessageFields && !opts.dropParamNames.has('reasoning_content');
  }

  run(): BuiltRequest & { body: ChatCompletionRequest } {
    const body = this.buildBody(this.messages());
    return { body, dropped: [...this.dropped] };
  }

  private messages(): ChatMessage[] {
    const out: ChatMessage[] = [];
    if (this.hub.system) out.push({ role: 'system', content: this.hub.system });
    let attachments: { callId: string; media: HubMedia[] }[] = [];
    const flushAttachments = () => {
      if (!attachments.length) return;
      const content: ChatContentPart[] = [];
      for (const a of attachments) {
        content.push({ type: 'text', text: `Attachments returned by tool call ${a.callId}:` });
        for (const p of a.media) content.push(chatPart(p)); // not push(...): a huge spread overflows the stack
      }
      out.push({ role: 'user', content });
      attachments = [];
    };
    for (const m of this.hub.messages) {
      if (m.role !== 'tool') flushAttachments();
      out.push(this.message(m, attachments));
    }
    flushAttachments();
    return out;
  }

  private message(m: HubMessage, attachments: { callId: string; media: HubMedia[] }[]): ChatMessage {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.text };
      case 'user':
        return { role: 'user', content: typeof m.content === 'string' ? m.content : m.content.map(chatPart) };
      case 'assistant': {
        const msg: AssistantMessage = { role: 'assistant', content: m.text };
        if (m.toolCalls?.length) {
          msg.tool_calls = m.toolCalls.map((c) => {
            const { id, signature } = splitCallId(c.id);
            const call: ChatToolCall = { id, type: 'function', function: { name: c.name, arguments: c.arguments } };
            if (signature && this.quirks.thoughtSignatures) call.extra_content = { google: { thought_signature: signature } };
            return call;
          });
          const texts = (m.reasoning ?? []).map((r) => r.text).filter((t) => t);
          if (texts.length) {
            if (this.sendReasoning) msg.reasoning_content = texts.join('\n\n');
            else if (this.opts.dropParamNames.has('reasoning_content')) this.dropped.add('reasoning_content');
          }
        }
        return msg;
      }
      case 'tool':
        if (m.media?.length) attachments.push({ callId: m.callId, media: m.media });
        return { role: 'tool', tool_call_id: splitCallId(m.callId).id, content: m.text };
    }
  }

  private rejected(chatName: string): boolean {
    const names = this.opts.dropParamNames;
    if (names.size === 0) return false;
    if (names.has(chatName)) return true;
    const rn = RESPONSES_NAME[chatName];
    return rn !== undefined && names.has(rn);
  }

  /** Sets a param unless the upstream rejects it (then drop it, or throw when drop_params is off: wires/policy.ts). */
  private set(body: ChatCompletionRequest, chatName: string, value: unknown, clientName?: string): void {
    if (this.rejected(chatName) && !dropRejected(chatName, clientName ?? chatName, this.opts, AUTO_DROPPED, this.dropped)) {
      delete body[chatName];
      return;
    }
    body[chatName] = value;
  }

  private buildBody(messages: ChatMessage[]): ChatCompletionRequest {
    const s = this.hub.settings;
    const body: ChatCompletionRequest = { model: this.opts.model, messages };
    const extra = this.opts.extraBody;
    if (extra) for (const k in extra) if (!RESERVED_BODY_KEYS.has(k) && !BUILDER_PARAMS.has(k) && extra[k] !== undefined) this.set(body, k, extra[k]);

    if (this.hub.tools.length) {
      this.set(
        body,
        'tools',
        this.hub.tools.map((t) => ({ type: 'function', function: t })),
      );
      if (body.tools) {
        const c = s.toolChoice;
        if (c !== undefined) this.set(body, 'tool_choice', typeof c === 'string' ? c : ({ type: 'function', function: { name: c.name } } satisfies ChatToolChoice));
        if (s.parallelToolCalls !== undefined) this.set(body, 'parallel_tool_calls', s.parallelToolCalls);
      }
    }

    const maxTokensKey = this.quirks.maxTokensField ?? 'max_tokens';
    if (s.maxOutputTokens !== undefined) {
      delete body.max_tokens;
      delete body.max_completion_tokens;
      this.set(body, maxTokensKey, s.maxOutputTokens, CLIENT_NAME[maxTokensKey]);
    } else if (this.opts.maxTokens !== undefined && body.max_tokens === undefined && body.max_completion_tokens === undefined) {
      this.set(body, maxTokensKey, this.opts.maxTokens);
    }
    if (s.temperature !== undefined) this.set(body, 'temperature', s.temperature);
    if (s.topP !== undefined) this.set(body, 'top_p', s.topP);
    if (s.reasoningEffort !== undefined) this.set(body, 'reasoning_effort', s.reasoningEffort, CLIENT_NAME.reasoning_effort);
    const rf = s.responseFormat;
    if (rf) {
      const v =
        rf.type === 'json_object'
          ? { type: 'json_object' as const }
          : {
              type: 'json_schema' as const,
              json_schema: {
                name: rf.name,
                schema: rf.schema,
                ...(rf.description !== undefined ? { description: rf.description } : {}),
                ...(rf.strict !== undefined ? { strict: rf.strict } : {}),
              },
            };
      this.set(body, 'response_format', v, CLIENT_NAME.response_format);
    }
    if (s.stop?.length) this.set(body, 'stop', s.stop);
    if (s.user !== undefined) this.set(body, 'user', s.user);
    if (this.quirks.promptCacheKey && s.promptCacheKey !== undefined) this.set(body, 'prompt_cache_key', s.promptCacheKey);
    if (this.opts.stream) {
      body.stream = true;
      this.set(body, 'stream_options', { include_usage: true });
    } else if (body.stream !== undefined) delete body.stream;
    return body;
  }
}
