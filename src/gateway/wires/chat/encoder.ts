/**
 * The Chat Completions door's answer side: hub events -> `chat.completion.chunk` SSE frames
 * ({@link ChatEncoder}), or the same events folded into one `chat.completion` ({@link foldChatCompletion}).
 *
 * Shapes follow the OpenAI API reference ("The chat completion chunk object", "The chat completion
 * object", "Create chat completion: stream_options"):
 * - every frame is `data: <chunk JSON>\n\n` with `id` (`chatcmpl-…`, the same in every chunk), `object:
 *   "chat.completion.chunk"`, `created` (unix seconds), `model` (the client's alias) and one choice
 *   `{index: 0, delta, logprobs: null, finish_reason}`;
 * - the first chunk carries `delta: {role: "assistant", content: ""}`;
 * - text -> `delta.content`; reasoning -> `delta.reasoning_content` (DeepSeek's field, API docs "Reasoning
 *   Model", which Open WebUI, LibreChat, Cline and others show as thinking); refusal -> `delta.refusal`;
 *   reasoning signatures and redacted blocks have no Chat field and are left out;
 * - tool calls -> `delta.tool_calls: [{index, id, type: "function", function: {name, arguments}}]`: id, type and
 *   name only on the first fragment of an index, later fragments carry `{index, function: {arguments}}`.
 *   Chat indexes count 0, 1, ... in the order calls get their name; fragments that arrive before a call's
 *   name are held until it is known (a call that never gets a name is left out). A call whose arguments stayed
 *   empty gets `{}` at the finish (clients JSON-parse them). Names are mapped back to the client's through
 *   `EncodeContext.tools` (see translate/tools.ts); an upstream id that is missing is minted as `call_…`;
 * - a request that used the legacy `functions` (and no `tools`) gets the legacy shape: `delta.function_call:
 *   {name, arguments}` for the first call only, and finish_reason `function_call`;
 * - `finish` -> a chunk with an empty delta and `finish_reason`: stop, length, content_filter, tool_calls.
 *   Decisions: a `refusal` finish is `stop` (OpenAI itself ends a refused answer with `stop` and the text in
 *   `refusal`); `pause` (Anthropic `pause_turn`) is `stop`; a `stop` (or pause/refusal) answer that made tool
 *   calls is `tool_calls`, as OpenAI reports it and as clients' tool loops test it;
 * - usage -> one chunk `{..., choices: [], usage}` just before `[DONE]`, only when the client asked for it
 *   (`stream_options.include_usage: true`), in Chat's names: `prompt_tokens` (cached included),
 *   `completion_tokens`, `total_tokens`, `prompt_tokens_details.cached_tokens`,
 *   `completion_tokens_details.reasoning_tokens`;
 * - the end -> `data: [DONE]\n\n`; a failure -> one `data: {"error": {message, type, code, param}}\n\n` frame and
 *   no `[DONE]` (the shape the proxy's Chat pass-through sends, which the openai SDKs raise as an APIError).
 */
import { randomBytes } from 'node:crypto';
import type { UpstreamError } from '../../errors';
import type { HubEvent, HubFinishReason, HubUsage } from '../../hub/types';
import { targetOf } from '../../translate/output';
import type { DoorEncoder, EncodeContext } from '../types';
import { isObject } from '../../translate/safe';

/** Chat's `finish_reason` values the door sends. */
export type ChatFinish = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/** Chat's usage object (tokens). */
export interface ChatUsageOut {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/**
 * Whether a Chat request used the legacy `functions` parameter instead of `tools` (then the answer uses
 * `function_call` instead of `tool_calls`; OpenAI API reference, "Create chat completion: functions", deprecated).
 */
export function isLegacyFunctions(request: Record<string, unknown> | undefined): boolean {
  if (!request) return false;
  const fns = request.functions;
  const tools = request.tools;
  return Array.isArray(fns) && fns.length > 0 && !(Array.isArray(tools) && tools.length > 0);
}

/**
 * The Chat `finish_reason` for a hub finish reason (see the module notes for refusal and pause).
 * @param reason the hub's reason; undefined (no finish seen) counts as `stop`.
 * @param calls whether the answer made tool calls.
 * @param legacy whether the request used the legacy `functions` parameter.
 */
export function chatFinishReason(reason: HubFinishReason | undefined, calls: boolean, legacy = false): ChatFinish {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'tool_calls':
      return legacy ? 'function_call' : 'tool_calls';
    default: // stop, refusal, pause, undefined
      return calls ? (legacy ? 'function_call' : 'tool_calls') : 'stop';
  }
}

/** Hub usage -> Chat usage (tokens); `total_tokens` = prompt + completion. */
export function chatUsage(u: HubUsage): ChatUsageOut {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cachedInput ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
  };
}

/** Merges a later usage report into the earlier one: fields it carries win. */
function mergeUsage(prev: HubUsage | undefined, next: HubUsage): HubUsage {
  if (!prev) return { ...next };
  const out: HubUsage = { ...prev };
  for (const k of Object.keys(next) as Array<keyof HubUsage>) if (typeof next[k] === 'number') out[k] = next[k] as number;
  return out;
}

/** A minted call id, when the upstream sent none: `call_` + 24 random hex characters. */
function mintCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

/** One tool call as the door assembles it. */
interface CallSlot {
  id?: string;
  /** The upstream (flat) name. */
  name?: string;
  /** Chat index, once announced. */
  chatIndex?: number;
  /** Argument text held until the name is known. */
  held: string;
  /** Characters of arguments sent (or folded). */
  argChars: number;
  /** Full arguments (fold only). */
  args: string;
}

/** The part of the answer state the stream encoder and the fold share. */
class Assembly {
  readonly calls = new Map<number, CallSlot>();
  /** Slots in Chat index order. */
  readonly announced: CallSlot[] = [];
  usage: HubUsage | undefined;
  finish: HubFinishReason | undefined;
  finished = false;

  slot(index: number): CallSlot {
    let s = this.calls.get(index);
    if (!s) {
      s = { held: '', argChars: 0, args: '' };
      this.calls.set(index, s);
    }
    return s;
  }
}

/**
 * Encodes hub events into a streamed Chat Completions answer (see the module notes for every mapping).
 * Each method returns the SSE text to write; after `end()` or `fail()` every method returns ''.
 */
export class ChatEncoder implements DoorEncoder {
  private readonly a = new Assembly();
  private readonly includeUsage: boolean;
  private readonly legacy: boolean;
  private readonly head: string;
  private started = false;
  private closed = false;

  /**
   * @param ctx `id` (`chatcmpl-…`, see newChatCompletionId), `alias` (the chunks' `model`), `createdAt` (unix
   *   seconds), `tools` (the Chat door's tool map), `request` (the client's body: `stream_options.include_usage`
   *   and the legacy `functions` are read from it).
   */
  constructor(private readonly ctx: EncodeContext) {
    const so = ctx.request?.stream_options;
    this.includeUsage = isObject(so) && so.include_usage === true;
    this.legacy = isLegacyFunctions(ctx.request);
    // Every chunk starts the same way; its JSON head is built once.
    this.head = `data: {"id":${JSON.stringify(ctx.id)},"object":"chat.completion.chunk","created":${Math.floor(ctx.createdAt)},"model":${JSON.stringify(ctx.alias)},`;
  }

  /** Usage seen so far (tokens), for the log line. */
  get usage(): { input?: number; output?: number } {
    const u = this.a.usage;
    return u ? { input: u.input, output: u.output } : {};
  }

  /** The first chunk (`delta: {role: "assistant", content: ""}`), once. */
  start(): string {
    if (this.started || this.closed) return '';
    this.started = true;
    return this.chunk({ role: 'assistant', content: '' });
  }

  /** One hub event as zero or more chunks. Content after the finish is ignored; usage is kept for `end()`. */
  push(ev: HubEvent): string {
    if (this.closed) return '';
    if (ev.type === 'usage') {
      this.a.usage = mergeUsage(this.a.usage, ev.usage);
      return '';
    }
    if (this.a.finished) return '';
    let out = this.start();
    switch (ev.type) {
      case 'text':
        if (ev.text) out += this.chunk({ content: ev.text });
        break;
      case 'reasoning':
        if (ev.text) out += this.chunk({ reasoning_content: ev.text });
        break;
      case 'refusal':
        if (ev.text) out += this.chunk({ refusal: ev.text });
        break;
      case 'call':
        out += this.call(ev);
        break;
      case 'finish':
        out += this.finish(ev.reason);
        break;
      default: // reasoning_signature, reasoning_redacted: no Chat field
        break;
    }
    return out;
  }

  /** The finish chunk if none was sent, the usage chunk (when asked for), then `data: [DONE]`. */
  end(): string {
    if (this.closed) return '';
    let out = this.start();
    if (!this.a.finished) out += this.finish(undefined);
    if (this.includeUsage && this.a.usage) out += `${this.head}"choices":[],"usage":${JSON.stringify(chatUsage(this.a.usage))}}\n\n`;
    this.closed = true;
    return `${out}data: [DONE]\n\n`;
  }

  /**
   * One `data: {"error": {...}}` frame, and nothing after it (no `[DONE]`). `type` is `upstream_error`; `code`
   * is `upstream_timeout` for a timeout, `context_length_exceeded` for a context-window failure, else
   * `server_error`; `param` is null.
   */
  fail(err: UpstreamError | undefined, message: string): string {
    if (this.closed) return '';
    this.closed = true;
    const code = err?.kind === 'timeout' ? 'upstream_timeout' : err?.kind === 'context_window' ? 'context_length_exceeded' : 'server_error';
    return `data: ${JSON.stringify({ error: { message, type: 'upstream_error', code, param: null } })}\n\n`;
  }

  private chunk(delta: Record<string, unknown>, finish: ChatFinish | null = null): string {
    return `${this.head}"choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`;
  }

  private call(ev: Extract<HubEvent, { type: 'call' }>): string {
    const s = this.a.slot(ev.index);
    if (ev.id && s.id === undefined) s.id = ev.id;
    if (ev.name && s.name === undefined) s.name = ev.name;
    const args = ev.arguments ?? '';
    if (s.chatIndex === undefined) {
      s.held += args;
      if (s.name === undefined) return '';
      s.chatIndex = this.a.announced.length;
      this.a.announced.push(s);
      s.id ??= mintCallId();
      const held = s.held;
      s.held = '';
      s.argChars += held.length;
      const name = targetOf(this.ctx.tools, s.name).name;
      if (this.legacy) return s.chatIndex === 0 ? this.chunk({ function_call: { name, arguments: held } }) : '';
      return this.chunk({ tool_calls: [{ index: s.chatIndex, id: s.id, type: 'function', function: { name, arguments: held } }] });
    }
    if (!args) return '';
    s.argChars += args.length;
    if (this.legacy) return s.chatIndex === 0 ? this.chunk({ function_call: { arguments: args } }) : '';
    return this.chunk({ tool_calls: [{ index: s.chatIndex, function: { arguments: args } }] });
  }

  private finish(reason: HubFinishReason | undefined): string {
    let out = '';
    for (const s of this.a.announced) {
      if (s.argChars > 0) continue;
      s.argChars = 2;
      if (this.legacy) {
        if (s.chatIndex === 0) out += this.chunk({ function_call: { arguments: '{}' } });
      } else out += this.chunk({ tool_calls: [{ index: s.chatIndex, function: { arguments: '{}' } }] });
    }
    this.a.finish = reason;
    this.a.finished = true;
    return out + this.chunk({}, chatFinishReason(reason, this.a.announced.length > 0, this.legacy));
  }
}

/**
 * Folds the events of a whole answer into one `chat.completion` (OpenAI API reference, "The chat completion
 * object"): `{id, object: "chat.completion", created, model, choices: [{index: 0, message, logprobs: null,
 * finish_reason}], usage}`. The message has `role: "assistant"`, `content` (the text; null when empty and the
 * answer is tool calls or a refusal), `refusal` (null when none), `reasoning_content` (only when there was
 * reasoning), and `tool_calls` (only when there were calls; id minted when missing, name mapped back, empty
 * arguments as `{}`) or, for a legacy `functions` request, `function_call` (the first call). `usage` is left out
 * when the upstream reported none. The same finish decisions as {@link ChatEncoder}.
 * @param events the answer's hub events, in order.
 * @param ctx as for {@link ChatEncoder}.
 */
export function foldChatCompletion(events: HubEvent[], ctx: EncodeContext): Record<string, unknown> {
  const a = new Assembly();
  let text = '';
  let reasoning = '';
  let refusal = '';
  for (const ev of events) {
    if (ev.type === 'usage') {
      a.usage = mergeUsage(a.usage, ev.usage);
      continue;
    }
    if (a.finished) continue;
    switch (ev.type) {
      case 'text':
        text += ev.text;
        break;
      case 'reasoning':
        reasoning += ev.text;
        break;
      case 'refusal':
        refusal += ev.text;
        break;
      case 'call': {
        const s = a.slot(ev.index);
        if (ev.id && s.id === undefined) s.id = ev.id;
        if (ev.name && s.name === undefined) s.name = ev.name;
        s.args += ev.arguments ?? '';
        if (s.chatIndex === undefined && s.name !== undefined) {
          s.chatIndex = a.announced.length;
          a.announced.push(s);
        }
        break;
      }
      case 'finish':
        a.finish = ev.reason;
        a.finished = true;
        break;
      default:
        break;
    }
  }
  const legacy = isLegacyFunctions(ctx.request);
  const calls = a.announced.map((s) => ({
    id: s.id ?? mintCallId(),
    type: 'function' as const,
    function: { name: targetOf(ctx.tools, s.name!).name, arguments: s.args.trim() ? s.args : '{}' },
  }));
  const message: Record<string, unknown> = { role: 'assistant', content: text || (calls.length || refusal ? null : ''), refusal: refusal || null };
  if (reasoning) message.reasoning_content = reasoning;
  if (calls.length) {
    if (legacy) message.function_call = calls[0].function;
    else message.tool_calls = calls;
  }
  const out: Record<string, unknown> = {
    id: ctx.id,
    object: 'chat.completion',
    created: Math.floor(ctx.createdAt),
    model: ctx.alias,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinishReason(a.finish, calls.length > 0, legacy) }],
  };
  if (a.usage) out.usage = chatUsage(a.usage);
  return out;
}
